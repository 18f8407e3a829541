//! Language detection from the path (extension, well-known names), with a
//! shebang or content sniff only for files that have no telling name.

use std::fmt;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Lang {
    /// Plain HTML (`.html`, `.htm`, …). Static-site generators put Liquid,
    /// Go or Hugo template tags in these too.
    Html,
    /// A template language whose markup is HTML: Jinja, Twig, Nunjucks,
    /// Liquid, Handlebars, Mustache, ERB, EJS, JSP, ASP, Go templates…
    Template,
    /// Laravel Blade: a template language on top of PHP.
    Blade,
    /// PHP, whose files are HTML outside `<?php … ?>`.
    Php,
    Python,
    JavaScript,
    TypeScript,
    Tsx,
    Ruby,
    Vue,
    Svelte,
    /// Markdown and MDX: content pages of static sites, which hold raw
    /// HTML forms (a Jekyll `contact.md`, a Hugo content page).
    Markdown,
    /// Haml templates (Rails, Middleman): markup written as indented
    /// `%tag{ attrs }` lines, read with their own grammar.
    Haml,
    /// Puppet manifests (`.pp`): configuration management whose `cron`
    /// resources install backup jobs.
    Puppet,
    Yaml,
    Json,
    Toml,
    Hcl,
    Ini,
    Env,
    Shell,
    Unknown,
}

impl Lang {
    pub fn name(self) -> &'static str {
        match self {
            Lang::Html => "html",
            Lang::Template => "template",
            Lang::Blade => "blade",
            Lang::Php => "php",
            Lang::Python => "python",
            Lang::JavaScript => "javascript",
            Lang::TypeScript => "typescript",
            Lang::Tsx => "tsx",
            Lang::Ruby => "ruby",
            Lang::Vue => "vue",
            Lang::Svelte => "svelte",
            Lang::Markdown => "markdown",
            Lang::Haml => "haml",
            Lang::Puppet => "puppet",
            Lang::Yaml => "yaml",
            Lang::Json => "json",
            Lang::Toml => "toml",
            Lang::Hcl => "hcl",
            Lang::Ini => "ini",
            Lang::Env => "env",
            Lang::Shell => "shell",
            Lang::Unknown => "unknown",
        }
    }

    /// Markup that is HTML once template tags are blanked (Vue and Svelte
    /// single-file components included: their templates are HTML).
    pub fn is_markup(self) -> bool {
        matches!(
            self,
            Lang::Html
                | Lang::Template
                | Lang::Blade
                | Lang::Php
                | Lang::Vue
                | Lang::Svelte
                | Lang::Markdown
        )
    }
}

impl fmt::Display for Lang {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

const TEMPLATE_EXTENSIONS: &[&str] = &[
    "j2",
    "jinja",
    "jinja2",
    "twig",
    "njk",
    "nunjucks",
    "hbs",
    "handlebars",
    "mustache",
    "liquid",
    "erb",
    "ejs",
    "tpl",
    "tmpl",
    "gohtml",
    "jsp",
    "jspf",
    "asp",
    "aspx",
    "ascx",
    "cshtml",
    "vbhtml",
    "dtl",
    "djhtml",
    "jinja-html",
    "html5",
    "eex",
    "heex",
    "leex",
    "haml-html",
    "volt",
    "latte",
    "smarty",
    "phtml-tpl",
    "marko",
    "hbs-html",
    "vm",
    "ftl",
    "ftlh",
    "mako",
];

/// The language of a file, from its path alone. `Unknown` may still be
/// refined by [`sniff`] once the content is at hand.
pub fn detect(path: &str) -> Lang {
    let name = path.rsplit('/').next().unwrap_or(path);
    let lower = name.to_ascii_lowercase();
    if lower.ends_with(".blade.php") {
        return Lang::Blade;
    }
    if lower == ".env" || lower.starts_with(".env.") || lower.ends_with(".env") {
        return Lang::Env;
    }
    if is_jinja_yaml(&lower) {
        return Lang::Yaml;
    }
    let Some((stem, ext)) = lower.rsplit_once('.') else {
        return Lang::Unknown;
    };
    if stem.is_empty() {
        // A dotfile such as `.htaccess`: no extension to go by.
        return Lang::Unknown;
    }
    match ext {
        "html" | "htm" | "xhtml" | "shtml" | "shtm" => Lang::Html,
        "php" | "phtml" | "php3" | "php4" | "php5" | "php7" | "php8" | "inc" => Lang::Php,
        "py" | "pyw" => Lang::Python,
        "js" | "mjs" | "cjs" | "jsx" => Lang::JavaScript,
        "ts" | "mts" | "cts" => Lang::TypeScript,
        "tsx" => Lang::Tsx,
        "rb" | "rake" | "gemspec" | "ru" => Lang::Ruby,
        "vue" => Lang::Vue,
        "svelte" => Lang::Svelte,
        "md" | "markdown" | "mdown" | "mkd" | "mdx" => Lang::Markdown,
        "haml" => Lang::Haml,
        "pp" => Lang::Puppet,
        "yml" | "yaml" => Lang::Yaml,
        "json" | "jsonc" | "json5" => Lang::Json,
        "toml" => Lang::Toml,
        "tf" | "hcl" | "tfvars" => Lang::Hcl,
        "ini" | "cfg" | "conf" | "cnf" | "properties" | "service" | "timer" | "socket"
        | "mount" => Lang::Ini,
        "sh" | "bash" | "zsh" | "ksh" => Lang::Shell,
        e if TEMPLATE_EXTENSIONS.contains(&e) => Lang::Template,
        _ => Lang::Unknown,
    }
}

/// Whether a path is a YAML file written as a Jinja template
/// (`ignition.yaml.j2`, `values.yml.jinja2`): YAML once rendered, read as
/// YAML with its template syntax blanked.
pub fn is_jinja_yaml(path: &str) -> bool {
    let lower = path.to_ascii_lowercase();
    ["j2", "jinja", "jinja2"].iter().any(|j| {
        lower
            .strip_suffix(j)
            .and_then(|s| s.strip_suffix('.'))
            .is_some_and(|s| s.ends_with(".yaml") || s.ends_with(".yml"))
    })
}

/// Refines `Unknown` from the first bytes of a file: a shebang, or an HTML
/// document without a telling name.
pub fn sniff(text: &str) -> Lang {
    let head: String = text.chars().take(256).collect();
    if let Some(first) = head.lines().next() {
        if let Some(interp) = first.strip_prefix("#!") {
            let interp = interp.trim();
            let prog = interp.rsplit('/').next().unwrap_or(interp);
            let prog = prog
                .strip_prefix("env ")
                .map(str::trim)
                .unwrap_or(prog)
                .split_whitespace()
                .next()
                .unwrap_or("");
            return match prog {
                p if p.starts_with("python") => Lang::Python,
                p if p.starts_with("ruby") => Lang::Ruby,
                p if p.starts_with("node") || p == "deno" || p == "bun" => Lang::JavaScript,
                p if p.starts_with("php") => Lang::Php,
                "sh" | "bash" | "zsh" | "ksh" | "dash" => Lang::Shell,
                _ => Lang::Unknown,
            };
        }
    }
    let start = head.trim_start().to_ascii_lowercase();
    if start.starts_with("<!doctype html") || start.starts_with("<html") {
        return Lang::Html;
    }
    if start.starts_with("<?php") {
        return Lang::Php;
    }
    Lang::Unknown
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn detects_by_extension_and_compound_names() {
        assert_eq!(detect("site/kontakt.html"), Lang::Html);
        assert_eq!(detect("templates/contact.html.twig"), Lang::Template);
        assert_eq!(detect("app/views/contact.html.erb"), Lang::Template);
        assert_eq!(detect("resources/views/contact.blade.php"), Lang::Blade);
        assert_eq!(detect("anfrage.php"), Lang::Php);
        assert_eq!(detect("INDEX.HTM"), Lang::Html);
        assert_eq!(detect(".env.production"), Lang::Env);
        assert_eq!(detect(".htaccess"), Lang::Unknown);
        assert_eq!(detect("Makefile"), Lang::Unknown);
        assert_eq!(detect("logo.png"), Lang::Unknown);
        assert_eq!(detect("templates/ignition.yaml.j2"), Lang::Yaml);
        assert_eq!(detect("values.YML.jinja2"), Lang::Yaml);
        assert_eq!(detect("templates/page.html.j2"), Lang::Template);
        assert_eq!(detect("templates/nginx.conf.j2"), Lang::Template);
    }

    #[test]
    fn sniffs_shebangs_and_html_documents() {
        assert_eq!(sniff("#!/usr/bin/env python3\nprint(1)"), Lang::Python);
        assert_eq!(sniff("#!/bin/bash\n"), Lang::Shell);
        assert_eq!(sniff("  <!DOCTYPE html>\n<html>"), Lang::Html);
        assert_eq!(sniff("hello"), Lang::Unknown);
    }
}
