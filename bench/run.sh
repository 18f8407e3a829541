#!/usr/bin/env bash
# Benchmarks riskdiff on a generated 20,000-file website repository with
# hyperfine. Not part of CI (timings belong in a benchmark, not a test).
#   bench/run.sh            # generate (once), build release, measure
# Results: bench/out/results.md
set -euo pipefail
cd "$(dirname "$0")/.."
command -v hyperfine >/dev/null || { echo "needs hyperfine (apt-get install hyperfine)" >&2; exit 2; }
repo=bench/out/repo
[[ -d $repo/.git ]] || python3 bench/gen_repo.py "$repo" 20000
cargo build --release --quiet
bin=$PWD/target/release/riskdiff
cd "$repo"
git checkout -q main
# A route that 2,000 Twig templates post to (via path('book')), removed:
# the worst case of forms/endpoint-unrouted, which then reads every page.
if ! git rev-parse -q --verify route-removed >/dev/null; then
  sign=(-c user.name=bench -c user.email=bench@riskdiff.invalid)
  git checkout -q -b routes main
  mkdir -p config
  printf 'book:\n  path: /reisen/{id}/buchen\n  methods: [POST]\nhome:\n  path: /\n' > config/routes.yaml
  git add config/routes.yaml
  git "${sign[@]}" commit -qm "routes"
  git checkout -q -b route-removed
  printf 'home:\n  path: /\n' > config/routes.yaml
  git "${sign[@]}" commit -qam "remove the booking route"
  git checkout -q main
fi
# A pre-commit run: the 20-file change of `small` staged on top of main.
staged=../staged
if [[ ! -d $staged ]]; then
  git worktree add -q --detach "$staged" main
  (cd "$staged" && git checkout -q small -- .)
fi
hyperfine --warmup 3 --runs 20 -N --ignore-failure \
  --export-markdown ../results.md \
  -n "empty diff (main..main)" "$bin check main..main" \
  -n "clean working tree (plain check)" "$bin check" \
  -n "20 changed files" "$bin check main..small" \
  -n "20 staged files (pre-commit)" "$bin -C $staged check --staged" \
  -n "1,000 changed pages" "$bin check main..large" \
  -n "route removed, 2,000 templates post to it" "$bin check routes..route-removed" \
  -n "1,000 changed pages, 1 thread" "$bin check main..large --threads 1"
cat ../results.md
