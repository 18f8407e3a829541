#!/usr/bin/env bash
# Time and peak memory of `riskdiff check` on the hostile inputs of issue 14
# as each one doubles: every row should grow about linearly (or stop early
# with a note). Not part of CI: timings belong in a benchmark, not a test.
#   bench/hostile.sh              # sizes 1x, 2x, 4x, 8x of each input
#   STEPS=3 bench/hostile.sh      # fewer doublings
#   ONLY="hidden-forms moved-files" bench/hostile.sh   # some inputs only
# Needs /usr/bin/time (GNU time). Prints a Markdown table on stdout.
set -euo pipefail
cd "$(dirname "$0")/.."
[[ -x /usr/bin/time ]] || { echo "needs GNU time at /usr/bin/time" >&2; exit 2; }
cargo build --release --quiet
bin=$PWD/target/release/riskdiff
steps=${STEPS:-4}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# gen KIND N SIDE: writes the files of one side (before|after) of input KIND
# at size N into the current directory.
gen() {
  python3 - "$@" <<'PY'
import os, sys
kind, n, side = sys.argv[1], int(sys.argv[2]), sys.argv[3]
after = side == "after"
def w(path, text):
    os.makedirs(os.path.dirname(path) or ".", exist_ok=True)
    open(path, "w").write(text)
form = '<form action="/send" method="post"><input name="email"><button>Send</button></form>\n'
if kind == "hidden-forms":
    hidden = ' hidden' if after else ''
    w("page.html", "".join(f'<div{hidden}>{form}</div>\n' for _ in range(n)))
elif kind == "changed-actions":
    w("page.html", "".join(form.replace("/send", f"/send{i}{'x' if after else ''}") for i in range(n)))
elif kind == "urls-py-routes":
    keep = n - 1 if after else n
    w("urls.py", "from django.urls import path\nurlpatterns = [\n" + "".join(f"    path('r{i}/', views.v{i}, name='r{i}'),\n" for i in range(keep)) + "]\n")
elif kind == "nested-unclosed-forms":
    w("page.html", ('<form action="/a">' * n) + ("" if after else "<input name=q>"))
elif kind == "nested-divs":
    w("page.html", "<div>" * n + (form if not after else form.replace("/send", "")) + "</div>" * n)
elif kind == "removed-cron-lines":
    w("crontab", "" if after else "".join(f"{i % 60} 3 * * * restic backup /data{i}\n" for i in range(n)))
elif kind == "destructive-json-keys":
    w("config.json", "{\n" + ",\n".join(f'  "drop_{i}": {"true" if after else "false"}' for i in range(n)) + "\n}\n")
elif kind == "one-line-bundle":
    w("app.js", "var a=0;" * n + ("a++;" if after else "") + "\n")
elif kind == "unclosed-erb":
    w("page.html", "<%" * n + (form if after else ""))
elif kind == "invalid-yaml-lines":
    w("config.yml", "".join(f"- : : {i} [\n" for i in range(n)) + (f"x: {after}\n"))
elif kind == "env-changed-lines":
    w(".env", "".join(f"KEY_{i}={i}{'b' if after else 'a'}\n" for i in range(n)))
elif kind == "yaml-big-mapping":
    w("config.yml", f"factory_reset: {'true' if after else 'false'}\n" + "".join(f"k{i}: v{i}\n" for i in range(n)))
elif kind == "moved-files":
    for i in range(n):
        d = "new" if after else "old"
        w(f"{d}/p{i}.html", f"<h1>{i}</h1>\n" + form + ("<p>edited</p>\n" if after else ""))
else:
    sys.exit(f"unknown kind {kind}")
PY
}

# kind and its size at 1x: chosen so 1x runs in well under a second.
inputs=(
  "hidden-forms 2500" "changed-actions 2000" "urls-py-routes 2000"
  "nested-unclosed-forms 500" "nested-divs 25000" "removed-cron-lines 7500"
  "destructive-json-keys 5000" "one-line-bundle 32000" "unclosed-erb 8000"
  "invalid-yaml-lines 125000" "env-changed-lines 37500" "yaml-big-mapping 10000"
  "moved-files 5000"
)
echo "| input | size | wall (s) | peak RSS (MiB) | exit | notes |"
echo "|---|---:|---:|---:|---:|---:|"
for entry in "${inputs[@]}"; do
  read -r kind base <<<"$entry"
  if [[ -n ${ONLY:-} && " $ONLY " != *" $kind "* ]]; then continue; fi
  n=$base
  for ((s = 0; s < steps; s++)); do
    dir=$work/$kind-$n
    mkdir -p "$dir" && cd "$dir"
    git init -q
    gen "$kind" "$n" before
    git add -A && git -c user.name=b -c user.email=b@b.invalid commit -qm before
    git rm -rq --cached . >/dev/null && find . -mindepth 1 -maxdepth 1 ! -name .git -exec rm -rf {} +
    gen "$kind" "$n" after
    git add -A && git -c user.name=b -c user.email=b@b.invalid commit -qm after
    set +e
    /usr/bin/time -v -o ../time.txt "$bin" check HEAD~1..HEAD --format json >../out.json 2>/dev/null
    code=$?
    set -e
    wall=$(awk -F': ' '/Elapsed \(wall clock\)/ {print $2}' ../time.txt |
      awk -F: '{ if (NF == 3) print $1*3600 + $2*60 + $3; else print $1*60 + $2 }')
    rss=$(awk -F': ' '/Maximum resident set size/ {printf "%.0f", $2 / 1024}' ../time.txt)
    notes=$(python3 -c 'import json,sys; print(len(json.load(open(sys.argv[1])).get("notes", [])))' ../out.json 2>/dev/null || echo "-")
    echo "| $kind | $n | $wall | $rss | $code | $notes |"
    cd "$work" && rm -rf "$dir"
    n=$((n * 2))
  done
done
