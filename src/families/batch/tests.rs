//! Unit tests of the batch family's loop facts.

use super::facts::LoopFacts;
use super::syntax::{functions, loop_vars, Syntax};
use crate::pipeline::parse::grammar;

use super::*;

fn family() -> Batch {
    Batch::builtin()
}

fn facts(lang: Lang, src: &str) -> Vec<LoopFacts> {
    facts_at(lang, src, "app/jobs/run.src")
}

fn facts_at(lang: Lang, src: &str, path: &str) -> Vec<LoopFacts> {
    let b = family();
    let syntax = Syntax::of(lang).unwrap();
    let language: tree_sitter::Language = if syntax == Syntax::Php {
        tree_sitter_php::LANGUAGE_PHP.into()
    } else {
        grammar(lang).unwrap()
    };
    let mut p = tree_sitter::Parser::new();
    p.set_language(&language).unwrap();
    let tree = p.parse(src, None).unwrap();
    let funcs = functions(syntax, tree.root_node(), src, path, &b.tables);
    let mail_modules = b.mail_modules(syntax, tree.root_node(), src);
    b.loop_facts(&funcs, src, &mail_modules)
}

fn summary(list: &[LoopFacts]) -> Vec<(String, bool, bool)> {
    list.iter()
        .map(|l| {
            (
                l.effect
                    .as_ref()
                    .map_or_else(String::new, |(c, _)| c.callee.clone()),
                l.checkpointed,
                l.unsafe_loop(),
            )
        })
        .collect()
}

#[test]
fn python_loops_effects_and_checkpoints_one_level_deep() {
    let src = "import requests\n\ndef send(o):\n    requests.post(URL, json=o)\n\ndef run(orders):\n    for o in orders:\n        send(o)\n    db.commit()\n    for o in orders:\n        requests.post(URL, json=o)\n        self.stdout.write('sent')\n        o.save()\n    for o in orders:\n        requests.get(URL)\n    for o in orders:\n        total += o.amount\n";
    let got = summary(&facts(Lang::Python, src));
    assert_eq!(
        got,
        [
            ("requests.post".to_string(), false, true),
            ("requests.post".to_string(), true, false),
            (String::new(), false, false),
            (String::new(), false, false),
        ]
    );
    let l = &facts(Lang::Python, src)[0];
    assert_eq!(l.via.as_ref().unwrap().method, "send");
    assert_eq!(l.saved_after.as_ref().unwrap().callee, "db.commit");
}

#[test]
fn js_php_ruby_shapes() {
    let js = "async function run(orders) {\n  for (const o of orders) { await axios.post(u, o); }\n  orders.forEach(async (o) => { await fetch(u, { method: 'POST' }); await markSent(o.id); });\n  await stripe.charges.create({ amount: 1 }, { idempotencyKey: o.id });\n}\n";
    assert_eq!(
        summary(&facts(Lang::JavaScript, js)),
        [
            ("axios.post".to_string(), false, true),
            ("fetch".to_string(), true, false)
        ]
    );
    let php = "<?php\nfunction ship($orders, $client) {\n  foreach ($orders as $o) {\n    $client->post('/shipments', ['json' => $o]);\n  }\n  foreach ($orders as $o) {\n    wp_remote_post($url, []);\n    $o->save();\n  }\n}\n";
    assert_eq!(
        summary(&facts(Lang::Php, php)),
        [
            ("$client.post".to_string(), false, true),
            ("wp_remote_post".to_string(), true, false)
        ]
    );
    let rb = "def ship_all(orders)\n  orders.find_each do |o|\n    Carrier.create_shipment(o)\n  end\n  orders.each { |o| HTTParty.post(url, body: o.to_json); o.update!(shipped: true) }\nend\n";
    assert_eq!(
        summary(&facts(Lang::Ruby, rb)),
        [
            ("Carrier.create_shipment".to_string(), false, true),
            ("HTTParty.post".to_string(), true, false)
        ]
    );
}

#[test]
fn database_deletes_are_not_http() {
    let src = "def clear(models):\n    for m in models:\n        db.session.delete(m)\n    for k in keys:\n        app.session_store.delete(k)\n    for h in hooks:\n        session.post(h.url, json=h.payload)\n    for u in urls:\n        requests.delete(u)\n";
    let got = summary(&facts(Lang::Python, src));
    assert_eq!(
        got.iter().map(|g| g.2).collect::<Vec<_>>(),
        [false, false, true, true]
    );
}

#[test]
fn one_event_to_many_webhooks_is_not_a_batch() {
    let src = "def notify(urls, data):\n    for url in urls:\n        requests.post(url, json=data, timeout=5)\n    for o in orders:\n        requests.post(URL, json=o.to_dict())\n    for hook in hooks:\n        requests.post(hook.url, json={'event': 'x'})\n    for hook in hooks:\n        requests.post(hook.url, json=hook.payload)\n";
    let got: Vec<bool> = facts(Lang::Python, src)
        .iter()
        .map(|l| l.unsafe_loop())
        .collect();
    assert_eq!(got, [false, true, false, true]);
    assert_eq!(loop_vars("for url in urls:", "urls"), ["url"]);
    assert_eq!(
        loop_vars("orders.forEach(async (order) => ", "orders"),
        ["order"]
    );
    assert_eq!(
        loop_vars("foreach ($orders as $id => $order) ", "$orders"),
        ["id", "order"]
    );
    assert_eq!(
        loop_vars("Order.where(x: 1).find_each do |o|", "Order.where(x: 1)"),
        ["o"]
    );
}

#[test]
fn calls_on_an_imported_mail_module_send_mail() {
    let src = "import email\nfrom email.utils import parseaddr\nfrom hc.lib import emails\nfrom app import email_utils\n\ndef run(q):\n    for p in q:\n        emails.deletion_scheduled(p.user.email, {})\n    for p in q:\n        email.message_from_string(p.raw)\n        email_utils.is_valid(p.addr)\n";
    let got = summary(&facts(Lang::Python, src));
    assert_eq!(
        got,
        [
            ("emails.deletion_scheduled".to_string(), false, true),
            (String::new(), false, false)
        ]
    );
    let js = "import * as mailer from '../lib/mailer';\nconst mail = require('./mail');\nasync function run(users) {\n  for (const u of users) { await mailer.welcome(u); }\n  for (const u of users) { await mail.digest(u); await u.save(); }\n}\n";
    assert_eq!(
        summary(&facts(Lang::JavaScript, js)),
        [
            ("mailer.welcome".to_string(), false, true),
            ("mail.digest".to_string(), true, false)
        ]
    );
}

#[test]
fn guards_and_idempotency_keys_make_a_loop_safe() {
    let src = "def run(orders):\n    for o in orders:\n        if o.shipped:\n            continue\n        carrier_api.create_shipment(o)\n    for o in orders:\n        stripe.PaymentIntent.create(amount=1, idempotency_key=f'o-{o.id}')\n";
    let f = facts(Lang::Python, src);
    assert!(f[0].guarded && !f[0].unsafe_loop());
    assert!(f[1].idempotent && !f[1].unsafe_loop());
}

fn requests(lang: Lang, src: &str, path: &str) -> Vec<(String, Option<String>)> {
    facts_at(lang, src, path)
        .into_iter()
        .filter(|l| l.effect.is_some())
        .map(|l| (l.handler.map(|h| h.0).unwrap_or_default(), l.unbounded))
        .collect()
}

#[test]
fn request_handlers_and_unlimited_queries() {
    let py = "@app.post('/ship')\ndef ship_all():\n    for o in Order.query.filter_by(shipped=False).all():\n        carrier.create_shipment(o)\n\ndef view(request):\n    orders = Order.objects.filter(new=True)[:50]\n    for o in orders:\n        requests.post(U, json=o)\n\ndef job():\n    for o in Order.objects.all():\n        requests.post(U, json=o)\n";
    assert_eq!(
        requests(Lang::Python, py, "shop/views.py"),
        [
            (
                "`@app.post('/ship')`".to_string(),
                Some("Order.query.filter_by(shipped=False).all()".to_string())
            ),
            ("a view that takes the `request`".to_string(), None),
            (String::new(), Some("Order.objects.all()".to_string())),
        ]
    );
    let js = "router.post('/ship', async (req, res) => {\n  const orders = await Order.findAll({ where: { shipped: false } });\n  for (const o of orders) { await axios.post(U, o); }\n});\nasync function run() { for (const r of await Promise.all(xs)) { await axios.post(U, r); } }\n";
    assert_eq!(
        requests(Lang::JavaScript, js, "src/server.js"),
        [
            (
                "`router.post('/ship')`".to_string(),
                Some("await Order.findAll({ where: { shipped: false } })".to_string())
            ),
            (String::new(), None),
        ]
    );
    let next = "export async function POST(req) {\n  const orders = await prisma.order.findMany({ take: 50 });\n  for (const o of orders) { await fetch(U, { method: 'POST' }); }\n}\n";
    assert_eq!(
        requests(Lang::JavaScript, next, "app/api/ship/route.js"),
        [(
            "the Next.js route handler `POST` of `app/api/ship/route.js`".to_string(),
            None
        )]
    );
    let php = "<?php\nclass OrderController extends Controller {\n  public function shipAll() {\n    foreach (Order::where('shipped', false)->get() as $o) {\n      Http::post($url, $o->toArray());\n    }\n  }\n  private function helper() {\n    foreach (Order::all() as $o) { Http::post($url, []); }\n  }\n}\n";
    assert_eq!(
        requests(Lang::Php, php, "app/Http/Controllers/OrderController.php"),
        [
            (
                "the controller action `OrderController::shipAll()`".to_string(),
                Some("Order::where('shipped', false)->get()".to_string())
            ),
            (String::new(), Some("Order::all()".to_string())),
        ]
    );
    let rb = "class OrdersController < ApplicationController\n  def ship_all\n    Order.where(shipped: false).find_each do |o|\n      Carrier.create_shipment(o)\n    end\n    Order.limit(10).each { |o| Carrier.create_shipment(o) }\n  end\nend\n";
    assert_eq!(
        requests(Lang::Ruby, rb, "app/controllers/orders_controller.rb"),
        [
            (
                "the controller action `OrdersController#ship_all`".to_string(),
                Some("Order.where(shipped: false)".to_string())
            ),
            (
                "the controller action `OrdersController#ship_all`".to_string(),
                None
            ),
        ]
    );
}

#[test]
fn test_paths() {
    let b = family();
    for p in [
        "tests/test_ship.py",
        "spec/ship_spec.rb",
        "src/ship.test.ts",
        "app/__tests__/x.js",
    ] {
        assert!(b.is_test_path(p), "{p}");
    }
    assert!(!b.is_test_path("app/shipping/sender.py"));
}

#[test]
fn sends_whose_error_is_swallowed_per_item() {
    let swallowed = |lang, src: &str| -> Vec<bool> {
        facts(lang, src)
            .iter()
            .filter(|l| l.effect.is_some())
            .map(|l| l.swallowed)
            .collect()
    };
    let rb = "def run(users)\n  users.each do |u|\n    begin\n      M.x(u).deliver_now\n    rescue => e\n      # ignored\n    end\n  end\n  users.each do |u|\n    begin\n      M.x(u).deliver_now\n    rescue => e\n      break\n    end\n  end\nend\n";
    assert_eq!(swallowed(Lang::Ruby, rb), [true, false]);
    let py = "def run(users):\n    for u in users:\n        try:\n            send_mail('s', 'b', 'f', [u.email])\n        except Exception:\n            log.warning('x')\n    try:\n        for u in users:\n            send_mail('s', 'b', 'f', [u.email])\n    except Exception:\n        pass\n    for u in users:\n        try:\n            send_mail('s', 'b', 'f', [u.email])\n        except Exception:\n            raise\n";
    assert_eq!(swallowed(Lang::Python, py), [true, false, false]);
    let js = "async function run(us) {\n  for (const u of us) { try { await axios.post(url, u); } catch (e) { console.log(e); } }\n  for (const u of us) { try { await axios.post(url, u); } catch (e) { throw e; } }\n}\n";
    assert_eq!(swallowed(Lang::JavaScript, js), [true, false]);
    let php = "<?php\nfunction run($us) {\n  foreach ($us as $u) { $this->notify($u); }\n}\nfunction notify($u) {\n  try { mail($u['email'], 's', 'b'); } catch (\\Exception $e) { error_log('x'); }\n}\n";
    assert_eq!(swallowed(Lang::Php, php), [true]);
}

#[test]
fn a_dict_merge_is_not_a_checkpoint() {
    let src = "def run(rules, event):\n    for r in rules:\n        data = r.action_data or {}\n        data.update(event['data'])\n        requests.post(URL, json=data)\n    for r in rules:\n        r.update(status='sent')\n        requests.post(URL, json=r.payload)\n";
    let got = summary(&facts(Lang::Python, src));
    assert_eq!(
        got,
        [
            ("requests.post".to_string(), false, true),
            ("requests.post".to_string(), true, false),
        ]
    );
}

#[test]
fn translation_paths_are_not_read() {
    let b = family();
    for p in [
        "lang/es_ES/texts.php",
        "resources/lang/de/validation.php",
        "config/locales/fr.yml",
        "src/i18n/messages.js",
    ] {
        assert!(b.skips_path(p), "{p}");
    }
    assert!(!b.skips_path("app/Jobs/SendReminders.php"));
    assert!(!b.skips_path("app/Language/Detector.php"));
}

#[test]
fn mailbox_drains_in_ruby_and_python() {
    // Net::IMAP: the flag is a symbol; the expunge after the loop.
    let rb = "def poll(imap)\n  imap.search(['NOT', 'DELETED']).each do |id|\n    body = imap.fetch(id, 'RFC822')[0].attr['RFC822']\n    import_message(body)\n    imap.store(id, '+FLAGS', [:Deleted])\n  end\n  imap.expunge\nend\n\ndef import_message(body)\n  Ticket.new(body: body).save!\nend\n";
    let l = &facts(Lang::Ruby, rb)[0];
    let d = l.drain.as_ref().expect("a drain");
    assert_eq!(d.mark.callee, "imap.store");
    assert_eq!(d.processing.method, "import_message");
    assert_eq!(d.reaches.method, "save!");
    assert_eq!(d.expunge.callee, "imap.expunge");
    // A helper that expunges per message leaves nothing to the end, and a
    // loop with no processing is a purge.
    let py = "def poll(s):\n    for n in nums:\n        handle(n)\n        s.store(n, '+FLAGS', '\\\\Deleted')\n        flush(s)\n    s.expunge()\n    for n in old:\n        s.store(n, '+FLAGS', '\\\\Deleted')\n    s.expunge()\n\ndef flush(s):\n    s.expunge()\n\ndef handle(n):\n    Ticket(n).save()\n";
    assert_eq!(facts(Lang::Python, py).len(), 2);
    assert!(facts(Lang::Python, py).iter().all(|l| l.drain.is_none()));
}

#[test]
fn code_is_read_only_with_a_call_that_can_send() {
    let b = family();
    let py = |t: &str| b.may_call_effect(Syntax::Python, t);
    let js = |t: &str| b.may_call_effect(Syntax::Js, t);
    // The calls `effect` reads, however they are spelled.
    assert!(py("requests.post(url, json=payload)"));
    assert!(py("send_mail (subject, body, FROM, [to])"));
    assert!(py("emails.send_order_confirmation(order)"));
    assert!(py("notify_task.delay(user.id)"));
    assert!(js("await fetch(URL, { method: 'POST', body })"));
    assert!(js("client.Post(url)"));
    assert!(js("carrier.ship?.(parcel)"));
    assert!(js("userMailer.welcome(u)"));
    // Names that only contain a table word, and words outside a call.
    assert!(!py(
        "order.reorder()\nposts = get_posts(user)\nprint(user.email)\n"
    ));
    assert!(!js(
        "const orders = await pendingOrders();\nsendButton.disabled = true;\n"
    ));
    // PHP calls with `->` and `::`, in any case.
    let php = |t: &str| b.may_call_effect(Syntax::Php, t);
    assert!(php("<?php\n$this->mailer->send($message);\n"));
    assert!(php(
        "<?php\nMail::to($o->email)->send(new InvoiceMail($o));\n"
    ));
    assert!(php("<?php\nSendInvoice::dispatch($order);\n"));
    assert!(php("<?php\n$this->carrierApi?->Ship($parcel);\n"));
    assert!(php("<?php\n\\mail($to, $subject, $body);\n"));
    assert!(!php(
        "<?php\n$items->push($row);\n$sorted = reorder($items);\n"
    ));
    assert!(!php("<?php\n$body = 'To: '.$email.'\\n';\n"));
    // Ruby calls without parentheses keep the word search.
    assert!(b.may_call_effect(Syntax::Ruby, "UserMailer.welcome(u).deliver_later"));
}

#[test]
fn a_base_can_hold_a_moved_loop_only_when_it_spells_out_the_send() {
    use super::{may_call_one_of, Callee};
    let callees = |c: &[&str]| {
        c.iter()
            .map(|s| Callee::new(s.to_string()))
            .collect::<Vec<_>>()
    };
    // As written, across lines, and as PHP and Ruby write receivers.
    assert!(may_call_one_of(
        "for (const o of orders) {\n  await api\n    .post('/ship', o);\n}\n",
        &callees(&["api.post"])
    ));
    assert!(may_call_one_of(
        "foreach ($orders as $o) { $this->client->post($url, $o); }",
        &callees(&["$this.client.post"])
    ));
    assert!(may_call_one_of(
        "users.each { |u| Mailers::Notify.deliver(u) }",
        &callees(&["Mailers.Notify.deliver"])
    ));
    // Another call of the same client, a name inside another, or nothing
    // to look for: no loop of this send can stand there.
    assert!(!may_call_one_of(
        "posts = api.get('/posts')\n",
        &callees(&["api.post"])
    ));
    assert!(!may_call_one_of(
        "fetch_product_media_image_task_v2.delay(x)",
        &callees(&["fetch_product_media_image_task.delay"])
    ));
    assert!(!may_call_one_of("api.post('/x')", &[]));
}
