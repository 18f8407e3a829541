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
out=bench/realworld/out
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

# A snapshot lacks blobs of 4 MiB and more, and a range whose rename
# detection needs one stops `log` for the whole repository. Then the range is
# run in chunks of 100 first-parent commits, a failing chunk halved down to
# the one commit that cannot be read, which is left out and named on stderr.
log_chunks() { # mirror start n file
  local mirror=$1 start=$2 n=$3 file=$4
  [[ $n -le 0 ]] && return 0
  if "$bin" -C "$mirror" log "$start" -n "$n" --format jsonl --timings --quiet --fail-on never \
      >> "$file.part" 2>> "$file.err"; then
    cat "$file.part" >> "$file"
  elif [[ $n -eq 1 ]]; then
    echo "left out (unreadable): $start" >> "$file.err"
  else
    local half=$(( n / 2 ))
    rm -f "$file.part"
    log_chunks "$mirror" "$start" "$half" "$file"
    local next
    next=$(git -C "$mirror" rev-parse --verify -q "$start~$half") || return 0
    log_chunks "$mirror" "$next" $(( n - half )) "$file"
  fi
  rm -f "$file.part"
}

while IFS=$'\t' read -r kind name mirror commit n; do
  if [[ ! -d $mirror ]]; then
    echo "missing mirror: $mirror (fetch github:$name)" >&2
    continue
  fi
  case $kind in
    repo)
      file="$out/repos/${name//\//+}.jsonl"
      start=$(date +%s.%N)
      if ! "$bin" -C "$mirror" log "$commit" -n "$n" --format jsonl --timings --quiet --fail-on never \
        > "$file" 2> "$file.err"; then
        echo "riskdiff failed on $name: $(tail -1 "$file.err"); running it in chunks" >&2
        : > "$file"
        done_n=0 start=$commit
        while [[ $done_n -lt $n ]]; do
          step=$(( n - done_n < 100 ? n - done_n : 100 ))
          log_chunks "$mirror" "$start" "$step" "$file"
          done_n=$(( done_n + step ))
          start=$(git -C "$mirror" rev-parse --verify -q "$start~$step") || break
        done
        grep -c '^left out' "$file.err" | xargs -I{} echo "  {} commits of $name left out" >&2
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
