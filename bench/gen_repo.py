#!/usr/bin/env python3
"""Generates a website repository for benchmarks: 20,000 files (pages with
and without forms, Twig templates, PHP handlers, scripts, styles, images)
and three branches on top of `main`:

  small   20 changed files (restyled pages, one form removed)
  large   1,000 changed HTML pages (a relaunch that restyles every page)

Usage: gen_repo.py DIR [FILES]
Commits with a fixed identity so no git config is needed."""

import os
import random
import subprocess
import sys

out = sys.argv[1]
total = int(sys.argv[2]) if len(sys.argv) > 2 else 20000
random.seed(7)
os.makedirs(out, exist_ok=True)

def git(*args):
    env = dict(os.environ, GIT_AUTHOR_NAME="bench", GIT_AUTHOR_EMAIL="bench@riskdiff.invalid",
               GIT_COMMITTER_NAME="bench", GIT_COMMITTER_EMAIL="bench@riskdiff.invalid",
               GIT_AUTHOR_DATE="2026-01-01T00:00:00Z", GIT_COMMITTER_DATE="2026-01-01T00:00:00Z")
    subprocess.run(["git", "-C", out, *args], check=True, env=env, stdout=subprocess.DEVNULL)

FORM = """    <form id="anfrage-{n}" action="/anfrage.php" method="post" class="{cls}">
      <label>Name <input name="name" required></label>
      <label>E-Mail <input name="email" type="email" required></label>
      <label>Nachricht <textarea name="nachricht" required></textarea></label>
      <button type="submit">Senden</button>
    </form>
"""

def page(n, cls="form", with_form=True):
    body = "".join(f"    <p class=\"text\">Reise {n} Abschnitt {i}: " + "Lorem ipsum dolor sit amet. " * 6 + "</p>\n" for i in range(12))
    return (f"<!DOCTYPE html>\n<html lang=\"de\">\n<head><meta charset=\"utf-8\"><title>Reise {n}</title>"
            f"<link rel=\"stylesheet\" href=\"/css/site.css\"></head>\n<body>\n  <main class=\"{cls}-page\">\n"
            + body + (FORM.format(n=n, cls=cls) if with_form else "") + "  </main>\n</body>\n</html>\n")

def twig(n):
    return ("{% extends 'base.html.twig' %}\n{% block content %}\n<h1>{{ trip.title }}</h1>\n"
            f"<form id=\"buchen-{n}\" action=\"{{{{ path('book', {{id: trip.id}}) }}}}\" method=\"post\">\n"
            "  {% for f in fields %}<input name=\"{{ f }}\">{% endfor %}\n  <button>Buchen</button>\n</form>\n{% endblock %}\n")

files = {}
n_pages = total * 25 // 100
for i in range(n_pages):
    files[f"public/reisen/{i // 200:03d}/reise-{i}.html"] = page(i, with_form=(i % 3 == 0))
for i in range(total * 10 // 100):
    files[f"templates/trips/{i // 200:03d}/trip-{i}.html.twig"] = twig(i)
for i in range(total * 20 // 100):
    files[f"src/lib/mod{i // 100:03d}/file{i}.php"] = f"<?php\nfunction f{i}($x) {{ return $x * {i}; }}\n"
for i in range(total * 20 // 100):
    files[f"assets/js/{i // 100:03d}/m{i}.js"] = f"export function m{i}(x) {{ return x + {i}; }}\n"
for i in range(total * 10 // 100):
    files[f"assets/css/{i // 100:03d}/s{i}.css"] = f".c{i} {{ color: #{i % 999:03d}; }}\n"
i = 0
while len(files) < total - 2:
    files[f"assets/img/{i // 200:03d}/img{i}.png"] = bytes([0x89, 0x50, 0x4E, 0x47, 0, 0, 0, 13]) + os.urandom(64)
    i += 1
files["public/anfrage.php"] = "<?php mail('info@example.com', 'Anfrage', $_POST['nachricht'] ?? '');\n"
files["public/css/site.css"] = "body { font-family: sans-serif; }\n"

def write(path, content):
    p = os.path.join(out, path)
    os.makedirs(os.path.dirname(p), exist_ok=True)
    with open(p, "wb" if isinstance(content, bytes) else "w") as f:
        f.write(content)

if not os.path.exists(os.path.join(out, ".git")):
    subprocess.run(["git", "init", "-q", "-b", "main", out], check=True)
for path, content in files.items():
    write(path, content)
git("add", "-A")
git("commit", "-q", "-m", "site")

pages = [p for p in files if p.endswith(".html")]
git("checkout", "-q", "-b", "small")
for k, path in enumerate(pages[:20]):
    n = int(path.rsplit("-", 1)[1].split(".")[0])
    write(path, page(n, cls="form-v2", with_form=(n % 3 == 0 and k != 0)))
git("commit", "-q", "-am", "small change")

git("checkout", "-q", "main")
git("checkout", "-q", "-b", "large")
for path in pages[:1000]:
    n = int(path.rsplit("-", 1)[1].split(".")[0])
    write(path, page(n, cls="relaunch", with_form=(n % 3 == 0)))
git("commit", "-q", "-am", "relaunch")
git("checkout", "-q", "main")
print(f"{len(files)} files in {out}")
