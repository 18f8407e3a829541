//! Unit tests of the route readers, per framework.

use super::*;
use crate::pipeline::parse::grammar;

fn routes(path: &str, lang: Lang, text: &str) -> Vec<(String, String, Option<String>)> {
    let tree = grammar(lang).filter(|_| lang != Lang::Php).map(|g| {
        let mut p = tree_sitter::Parser::new();
        p.set_language(&g).unwrap();
        p.parse(text, None).unwrap()
    });
    routes_of(path, lang, text, tree.as_ref())
        .into_iter()
        .map(|r| (r.methods.join("|"), r.path, r.name))
        .collect()
}

#[test]
fn express_fastify_and_client_calls() {
    let js = "app.post('/contact', handler);\nrouter.route('/orders/:id').put((req, res) => {});\nfastify.route({ method: 'POST', url: '/hook', handler });\naxios.post('/api/contact', data);\napp.get('/', (q, s) => {});\n";
    assert_eq!(
        routes("server.js", Lang::JavaScript, js),
        [
            ("POST".into(), "/contact".into(), None),
            ("PUT".into(), "/orders/*".into(), None),
            ("POST".into(), "/hook".into(), None),
            ("GET".into(), "/".into(), None),
        ]
    );
}

#[test]
fn flask_fastapi_and_django() {
    let py = "@app.route('/contact', methods=['GET', 'POST'])\ndef contact():\n    pass\n\n@app.route('/about')\ndef about():\n    pass\n\n@router.post('/api/lead')\nasync def lead():\n    pass\n\n@patch('shop.payment.gateway.charge')\n@mock.patch('requests.post')\ndef test_charge(charge, post):\n    pass\n";
    let got = routes("app.py", Lang::Python, py);
    assert_eq!(
        got[0],
        ("GET|POST".into(), "/contact".into(), Some("contact".into()))
    );
    assert_eq!(got[1].0, "GET");
    assert_eq!(
        got[2],
        ("POST".into(), "/api/lead".into(), Some("lead".into()))
    );
    assert_eq!(got.len(), 3, "mock.patch decorators are no routes: {got:?}");
    let urls = "urlpatterns = [\n    path('kontakt/', views.contact, name='contact'),\n    path('shop/', include('shop.urls')),\n    re_path(r'^orders/(?P<pk>\\d+)/$', views.order),\n]\n";
    assert_eq!(
        routes("site/urls.py", Lang::Python, urls),
        [
            ("".into(), "/kontakt".into(), Some("contact".into())),
            ("".into(), "/orders/*".into(), None)
        ]
    );
}

#[test]
fn laravel_groups_prefix_paths_and_names() {
    // Firefly III's shape: array options, names given by `'as'`.
    let php = "<?php\nRoute::group(\n    ['middleware' => 'admin', 'prefix' => 'admin', 'as' => 'admin.'],\n    static function (): void {\n        Route::get('', ['uses' => 'HomeController@index', 'as' => 'index']);\n        Route::post('notifications', ['uses' => 'HomeController@notifications', 'as' => 'notifications']);\n        Route::group(['prefix' => 'users/', 'as' => 'users.'], function () {\n            Route::post('update/{user}', ['uses' => 'UserController@update', 'as' => 'update']);\n        });\n    }\n);\nRoute::prefix('shop')->name('shop.')->group(function () {\n    Route::post('/cart', [CartController::class, 'add'])->name('cart.add');\n});\nRoute::post('/hook', ['uses' => 'HookController@run']);\n";
    assert_eq!(
        routes("routes/web.php", Lang::Php, php),
        [
            ("GET".into(), "/admin".into(), Some("admin.index".into())),
            (
                "POST".into(),
                "/admin/notifications".into(),
                Some("admin.notifications".into())
            ),
            (
                "POST".into(),
                "/admin/users/update/*".into(),
                Some("admin.users.update".into())
            ),
            (
                "POST".into(),
                "/shop/cart".into(),
                Some("shop.cart.add".into())
            ),
            ("POST".into(), "/hook".into(), None),
        ]
    );
}

#[test]
fn laravel_symfony_rails_nextjs() {
    let php = "<?php\nRoute::post('/kontakt', [ContactController::class, 'send'])->name('contact.send');\nRoute::match(['get', 'post'], '/newsletter', NewsletterController::class);\nRoute::resource('photos', PhotoController::class);\n";
    let got = routes("routes/web.php", Lang::Php, php);
    assert_eq!(
        got[0],
        (
            "POST".into(),
            "/kontakt".into(),
            Some("contact.send".into())
        )
    );
    assert_eq!(got[1], ("GET|POST".into(), "/newsletter".into(), None));
    assert_eq!(got[2].1, "/photos");
    let sym = "<?php\nclass C {\n  #[Route('/contact', name: 'contact', methods: ['POST'])]\n  public function send() {}\n}\n";
    assert_eq!(
        routes("src/Controller/C.php", Lang::Php, sym),
        [("POST".into(), "/contact".into(), Some("contact".into()))]
    );
    let rb = "Rails.application.routes.draw do\n  post '/contact', to: 'contact#create'\n  resources :messages, only: [:create, :index]\n  namespace :admin do\n    match 'import', to: 'import#run', via: [:post]\n  end\nend\n";
    assert_eq!(
        routes("config/routes.rb", Lang::Ruby, rb),
        [
            ("POST".into(), "/contact".into(), None),
            ("POST".into(), "/messages".into(), Some("messages".into())),
            ("POST".into(), "/admin/import".into(), None),
        ]
    );
    let next = "export async function POST(req) { return Response.json({}) }\n";
    assert_eq!(
        routes("app/(site)/api/contact/route.ts", Lang::TypeScript, next),
        [("POST".into(), "/api/contact".into(), None)]
    );
    assert_eq!(
        routes(
            "pages/api/contact.js",
            Lang::JavaScript,
            "export default function h(){}"
        ),
        [("".into(), "/api/contact".into(), None)]
    );
}

#[test]
fn serving_and_names() {
    let r = Route {
        methods: vec![],
        path: "/kontakt".into(),
        name: None,
        framework: "Django",
        relative: true,
        range: 0..0,
    };
    assert!(r.serves("/de/kontakt/") && r.serves("/kontakt?x=1") && !r.serves("/kontakt/neu"));
    assert_eq!(
        referenced_name("{{ url_for('main.contact') }}").as_deref(),
        Some("main.contact")
    );
    assert_eq!(
        referenced_name("{% url 'contact' %}").as_deref(),
        Some("contact")
    );
    assert_eq!(
        referenced_name("{{ route('contact.send') }}").as_deref(),
        Some("contact.send")
    );
    assert_eq!(
        referenced_name("<%= messages_path %>").as_deref(),
        Some("messages")
    );
}

#[test]
fn scripts_are_read_for_routes_only_with_a_verb_called_on_a_rooted_path() {
    let js = |text| mentions_routes("src/server.js", Lang::JavaScript, text);
    assert!(js("router.post('/contact', send);"));
    assert!(js("app.delete(\n  `/api/items/${id}`,\n  remove\n);"));
    assert!(js("router.route('/p').post(send);"));
    assert!(js("fastify.route({ method: 'POST', url: '/x', handler });"));
    // Clients and stores called with anything but a rooted path.
    assert!(!js("await db.delete(`user:${uid}`);"));
    assert!(!js("axios.post(url, data);"));
    assert!(!js("cache.put('key', value);"));
}

#[test]
fn python_modules_are_read_for_routes_only_with_a_route_decorator() {
    let py = |path, text| mentions_routes(path, Lang::Python, text);
    assert!(py(
        "app.py",
        "@app.route('/contact', methods=['POST'])\ndef c(): pass"
    ));
    assert!(py(
        "api.py",
        "@router.post(\n    \"/orders\",\n)\nasync def o(): pass"
    ));
    assert!(py("api.py", "    @bp.delete(\"\")\n    def d(): pass"));
    assert!(py(
        "shop/urls.py",
        "urlpatterns = [path('cart/', views.cart)]"
    ));
    // Decorators and calls that only look like routes.
    assert!(!py(
        "tests/test_send.py",
        "@mock.patch(\"shop.mail.send\")\ndef t(m): pass"
    ));
    assert!(!py(
        "tests/test_send.py",
        "@mock.patch(\n    \"shop.mail.send\"\n)\ndef t(m): pass"
    ));
    assert!(!py(
        "models.py",
        "def clear(self):\n    self.lines.delete()\n"
    ));
    assert!(!py(
        "utils.py",
        "def get_url(x):\n    return build_path(x)\n"
    ));
    assert!(!py("views.py", "@login_required\ndef v(r): pass"));
}

#[test]
fn only_the_lines_routes_are_made_of_make_a_route_change() {
    let py = |line| route_line("app/views.py", Lang::Python, line);
    assert!(py("@app.route('/contact', methods=['POST'])"));
    assert!(py("def contact():"));
    assert!(py("    '/contact/send',"));
    assert!(!py("    return render_template('x.html', items=items)"));
    assert!(route_line(
        "app/urls.py",
        Lang::Python,
        "    views.Contact.as_view(),"
    ));
    let js = |line| route_line("server/app.js", Lang::JavaScript, line);
    assert!(js("router.post('/contact', send);"));
    assert!(!js("  const total = items.length;"));
    assert!(route_line("config/routes.rb", Lang::Ruby, "  x = 1"));
}
