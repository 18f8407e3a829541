#!/usr/bin/env bash
# Runs every rule over the real-world corpus and scores it against the
# reviewed verdicts and the incidents. Not part of CI: it needs the mirrors.
#
#   MIRRORS=/work/.mirror bench/realworld/run.sh            # everything
#   MIRRORS=… MAX_COMMITS=300 bench/realworld/run.sh        # a quicker pass
#   MIRRORS=… ONLY=healthchecks bench/realworld/run.sh      # repos whose name matches
#
# Mirrors are bare repositories at $MIRRORS/<owner>+<name>/repo (see
# README.md). Output: bench/realworld/out/ (JSON Lines per repository, one
# JSON report per incident) and the score table on stdout, also written to
# bench/realworld/out/score.md.
set -euo pipefail
cd "$(dirname "$0")/../.."
: "${MIRRORS:?set MIRRORS to the folder of fetched mirrors (owner+name/repo)}"
out=${OUT:-bench/realworld/out} # OUT=… keeps a before and an after run apart
mkdir -p "$out/repos" "$out/incidents"
if [[ -n ${BIN:-} ]]; then
  bin=$BIN # a binary built elsewhere, e.g. main's, for a before/after table
else
  cargo build --release --quiet
  bin=$PWD/target/release/riskdiff
fi

python3 - "$MIRRORS" "${MAX_COMMITS:-}" "${ONLY:-}" > "$out/plan.tsv" <<'PY'
import sys, tomllib
mirrors, cap, only = sys.argv[1], sys.argv[2], sys.argv[3]
repos = tomllib.load(open("bench/realworld/repos.toml", "rb"))["repo"]
for r in repos:
    if only and only not in r["name"]:
        continue
    n = r["commits"] if not cap else min(r["commits"], int(cap))
    print("repo", r["name"], f"{mirrors}/{r['name'].replace('/', '+')}/repo", r["commit"], n, sep="\t")
incidents = tomllib.load(open("bench/realworld/incidents.toml", "rb"))["incident"]
for i, inc in enumerate(incidents):
    if only and only not in inc["repo"]:
        continue
    c = inc.get("merged_by", inc["commit"])
    print("incident", i, f"{mirrors}/{inc['repo'].replace('/', '+')}/repo", c, 0, sep="\t")
PY

# A snapshot lacks blobs of 4 MiB and more. `log` reports a commit that
# needs one as not checked (an `error` line) and goes on, exiting 2; the
# score counts those commits apart. Anything else that ends the run early
# (no summary line) is a failure of riskdiff, said on stderr.
while IFS=$'\t' read -r kind name mirror commit n; do
  if [[ ! -d $mirror ]]; then
    echo "missing mirror: $mirror (fetch github:$name)" >&2
    continue
  fi
  case $kind in
    repo)
      file="$out/repos/${name//\//+}.jsonl"
      start=$(date +%s.%N)
      "$bin" -C "$mirror" log "$commit" -n "$n" --format jsonl --timings --quiet --fail-on never \
        > "$file" 2> "$file.err" || true
      if ! tail -n 1 "$file" | grep -q '"summary"'; then
        echo "riskdiff failed on $name: $(tail -n 1 "$file.err")" >&2
      fi
      printf '%-45s %6s commits %8.1f s\n' "$name" "$n" "$(echo "$(date +%s.%N) - $start" | bc)" >&2
      ;;
    incident)
      "$bin" -C "$mirror" check "$commit^..$commit" --format json --quiet --fail-on never \
        > "$out/incidents/$name.json" 2> "$out/incidents/$name.err" || true
      ;;
  esac
done < "$out/plan.tsv"

python3 bench/realworld/score.py "$out" | tee "$out/score.md"
