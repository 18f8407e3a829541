//! The Rails half of `forms/route-name-gone`: the URL helpers
//! (`messages_path`, `edit_message_url`) that `config/routes.rb` defines,
//! and the views of head that still call one the change removed. Rails
//! raises `NameError` while rendering such a view.
//!
//! Rails derives helper names in many ways; only the plain ones are read
//! (`resources`/`resource` with their `new_`/`edit_` helpers, a verb with
//! `as:`, a verb whose path is one plain word, inside `namespace` and
//! nested `resources`). Both sides are read by the same scan, so a
//! declaration it cannot name is missed on both and never reported.

use crate::readers::routes::rails_symbol_or_string;
use crate::readers::syntax::{named_children, text_of};
use std::collections::BTreeMap;
use std::ops::Range;
use tree_sitter::Node;

/// The helper stems a `routes.rb` defines (`message` for `message_path`),
/// each with the declaration that defines it.
pub(super) fn helper_stems(root: Node, text: &str) -> BTreeMap<String, Range<usize>> {
    let mut out = BTreeMap::new();
    walk(root, text, "", &mut out);
    out
}

/// `messages` → `message`, `categories` → `category`; irregular plurals
/// are left as they are (a missed helper, never a wrong one).
fn singular(plural: &str) -> String {
    if let Some(stem) = plural.strip_suffix("ies") {
        format!("{stem}y")
    } else if let Some(stem) = plural.strip_suffix('s').filter(|s| !s.ends_with('s')) {
        stem.to_string()
    } else {
        plural.to_string()
    }
}

fn walk(node: Node, text: &str, prefix: &str, out: &mut BTreeMap<String, Range<usize>>) {
    for child in named_children(node) {
        if child.kind() != "call" || child.child_by_field_name("receiver").is_some() {
            walk(child, text, prefix, out);
            continue;
        }
        let method = child
            .child_by_field_name("method")
            .map_or("", |m| text_of(m, text));
        let args: Vec<Node> = child
            .child_by_field_name("arguments")
            .map(named_children)
            .unwrap_or_default();
        // `get "/domains/:id" => "home#for_domain", :as => "domain"`: the
        // path is the key of the first pair.
        let first = args.first().and_then(|a| {
            let path = if a.kind() == "pair" {
                a.child_by_field_name("key")?
            } else {
                *a
            };
            rails_symbol_or_string(path, text)
        });
        let option = |key: &str| {
            args.iter().filter(|a| a.kind() == "pair").find_map(|p| {
                let k = text_of(p.child_by_field_name("key")?, text);
                (k.trim_matches(':') == key)
                    .then(|| p.child_by_field_name("value"))
                    .flatten()
                    .and_then(|v| rails_symbol_or_string(v, text))
            })
        };
        let block = child.child_by_field_name("block");
        let mut add = |stem: String| {
            out.entry(stem).or_insert(child.byte_range());
        };
        match (method, first) {
            ("namespace", Some(ns)) => {
                if let Some(b) = block {
                    walk(b, text, &format!("{prefix}{ns}_"), out);
                }
            }
            ("scope", _) => {
                let inner = option("as").map_or(prefix.to_string(), |a| format!("{prefix}{a}_"));
                if let Some(b) = block {
                    walk(b, text, &inner, out);
                }
            }
            ("resources", Some(name)) => {
                let one = singular(&name);
                add(format!("{prefix}{name}"));
                add(format!("{prefix}{one}"));
                add(format!("new_{prefix}{one}"));
                add(format!("edit_{prefix}{one}"));
                if let Some(b) = block {
                    walk(b, text, &format!("{prefix}{one}_"), out);
                }
            }
            ("resource", Some(name)) => {
                add(format!("{prefix}{name}"));
                add(format!("new_{prefix}{name}"));
                add(format!("edit_{prefix}{name}"));
                if let Some(b) = block {
                    walk(b, text, &format!("{prefix}{name}_"), out);
                }
            }
            ("get" | "post" | "put" | "patch" | "delete" | "match", Some(path)) => {
                if let Some(name) = option("as") {
                    add(format!("{prefix}{name}"));
                } else {
                    let word = path.trim_matches('/');
                    if !word.is_empty() && word.chars().all(|c| c.is_ascii_lowercase() || c == '_')
                    {
                        add(format!("{prefix}{word}"));
                    }
                }
            }
            _ => walk(child, text, prefix, out),
        }
    }
}

/// The helper stem of a view's own resource: `clones` for
/// `app/views/clones/show.html.erb`, `admin_subscribers` for
/// `app/views/admin/subscribers/index.html.erb`. A view of a resource
/// whose routes the change removed renders for no request any more.
pub(super) fn own_resource(view: &str) -> Option<String> {
    let rest = view.split_once("app/views/")?.1;
    let (dir, _) = rest.rsplit_once('/')?;
    Some(dir.replace('/', "_"))
}

/// The URL helpers a view calls: `contact_path`, `edit_message_url(@m)`,
/// as (stem, where the helper's name stands).
pub(super) fn helper_calls(text: &str) -> Vec<(String, Range<usize>)> {
    let bytes = text.as_bytes();
    let word = |b: u8| b.is_ascii_alphanumeric() || b == b'_';
    let mut out = Vec::new();
    for suffix in ["_path", "_url"] {
        for (at, _) in text.match_indices(suffix) {
            let end = at + suffix.len();
            if bytes.get(end).is_some_and(|&b| word(b) || b == b':') {
                continue;
            }
            let mut start = at;
            while start > 0 && word(bytes[start - 1]) {
                start -= 1;
            }
            // `@form.submit_path`, `:symbol_path` and `foo.bar_url` are not
            // route helpers; a helper is called bare.
            if start == at || (start > 0 && matches!(bytes[start - 1], b'.' | b':' | b'@' | b'$')) {
                continue;
            }
            out.push((text[start..at].to_string(), start..end));
        }
    }
    out.sort_by_key(|(_, r)| r.start);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn helpers_of_resources_verbs_and_namespaces() {
        let rb = "Rails.application.routes.draw do\n  get \"/domains/:id(.:format)\" => \"home#for_domain\", :as => \"domain\"\n  resources :messages, only: [:index, :create]\n  get 'contact', to: 'pages#contact'\n  post '/signup/:token', to: 'signups#create', as: :signup\n  namespace :admin do\n    resources :categories do\n      resources :notes\n    end\n  end\n  resource :profile\nend\n";
        let mut p = tree_sitter::Parser::new();
        p.set_language(&tree_sitter_ruby::LANGUAGE.into()).unwrap();
        let tree = p.parse(rb, None).unwrap();
        let stems: Vec<String> = helper_stems(tree.root_node(), rb).into_keys().collect();
        for want in [
            "domain",
            "messages",
            "message",
            "new_message",
            "edit_message",
            "contact",
            "signup",
            "admin_categories",
            "admin_category",
            "new_admin_category",
            "admin_category_notes",
            "profile",
            "edit_profile",
        ] {
            assert!(stems.iter().any(|s| s == want), "{want} in {stems:?}");
        }
    }

    #[test]
    fn helper_calls_are_bare_names_ending_in_path_or_url() {
        let erb = "<%= link_to 'Hi', contact_path %> <%= form_with url: edit_message_url(@m) do |f| %><%= f.submit_path %> :foo_path image_url_for(x) <% file_path = 1 %>";
        let got: Vec<String> = helper_calls(erb).into_iter().map(|(s, _)| s).collect();
        assert_eq!(got, ["contact", "edit_message", "file"]);
    }
}
