#!/usr/bin/env python3
"""Benchmarks riskdiff on real ranges (bench/ranges.toml) against the cost
of reading the change and of parsing it, interleaved, and prints a
Markdown table of medians. Not part of CI: it needs the corpus mirrors.

    MIRRORS=/work/.mirror bench/ranges.py [--rounds 5] [--bin PATH] [--only saleor]
                                          [--no-build] [--semgrep]

Per range, one round runs each command once, in turn:
  read floor   list the changed files and read both sides' blobs
               (examples/floor.rs, `read`: libgit2, rayon, as riskdiff reads)
  parse all    the same plus a plain tree-sitter parse of every changed file
               on both sides with the grammar its name implies (`parse`)
  riskdiff     `riskdiff check BASE..HEAD --format json`
  empty diff   `riskdiff check HEAD..HEAD` (the early exit)
Wall times are medians over the rounds; peak memory is the largest
resident set any round of a command reached (getrusage of the child).

--semgrep (opt-in; needs `pip install semgrep`) adds a column:
  Semgrep      `semgrep scan --baseline-commit BASE` with the local rules of
               bench/semgrep/rules.yml, fully offline (--metrics=off, no
               version check, no registry), --jobs 2, in a checkout of HEAD
Each HEAD is checked out once, outside the timed part, as a `git clone
--shared` of the mirror under --semgrep-dir (default /tmp/rd-semgrep),
reused by every range and round with that head and by later runs
(`rm -rf /tmp/rd-semgrep` to clean up). Before its rounds each range gets
one untimed Semgrep run writing JSON, whose findings, scanned files and
errors go to stderr; a Semgrep failure marks that range's cell, it does not
stop the bench. ast-grep is not run here.
--no-build uses target/release/examples/floor as it is instead of building it.
"""
import argparse
import json
import os
import pathlib
import statistics
import subprocess
import sys
import tempfile
import time
import tomllib

ROOT = pathlib.Path(__file__).resolve().parent.parent
SEMGREP_RULES = ROOT / "bench/semgrep/rules.yml"
# Offline: no version check, no metrics, no registry (the rules are local).
SEMGREP_ENV = {**os.environ, "SEMGREP_ENABLE_VERSION_CHECK": "0", "SEMGREP_SEND_METRICS": "off"}


class Failed(Exception):
    pass


def run(cmd, cwd=None, env=None, fatal=True):
    """(wall seconds, peak RSS in MiB) of one run of `cmd`."""
    start = time.perf_counter()
    # stderr to a file, not a pipe: a chatty child must not block on it
    with tempfile.TemporaryFile() as errf:
        proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=errf, cwd=cwd, env=env)
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - start
        code = os.waitstatus_to_exitcode(status)
        if code not in (0, 1):  # riskdiff exits 1 when it finds something, Semgrep may too
            errf.seek(0)
            err = errf.read().decode(errors="replace").strip()[-2000:]
            msg = f"{' '.join(cmd)} exited {code}: {err}"
            if fatal:
                sys.exit(msg)
            raise Failed(msg)
    return wall, usage.ru_maxrss / 1024


def git(*args, cwd=None):
    return subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True, text=True).stdout.strip()


def semgrep_checkout(root, mirror, repo, head):
    """A clean checkout of `head` sharing `mirror`'s objects (so every base
    is reachable), made once and reused; (path, seconds it took)."""
    start = time.perf_counter()
    path = root / f"{repo.replace('/', '+')}-{head[:12]}"
    if path.exists():
        try:
            if git("rev-parse", "HEAD", cwd=path) == head and not git("status", "--porcelain", cwd=path):
                return path, time.perf_counter() - start
        except subprocess.CalledProcessError:
            pass
        subprocess.run(["rm", "-rf", "--", str(path)], check=True)
    root.mkdir(parents=True, exist_ok=True)
    git("clone", "--quiet", "--shared", "--no-checkout", mirror, str(path))
    git("-c", "advice.detachedHead=false", "checkout", "--quiet", "--detach", head, cwd=path)
    return path, time.perf_counter() - start


def semgrep_cmd(base, out):
    return [
        "semgrep", "scan", "--baseline-commit", base, "--config", str(SEMGREP_RULES),
        "--metrics=off", "--disable-version-check", "--quiet", "--jobs", "2", "--json", "-o", out,
    ]


def semgrep_preflight(cwd, base, name, out):
    """One untimed run that keeps its JSON: says what Semgrep scanned and
    whether it reported errors (the timed runs write to /dev/null)."""
    pathlib.Path(out).unlink(missing_ok=True)
    run(semgrep_cmd(base, out), cwd=cwd, env=SEMGREP_ENV, fatal=False)
    data = json.loads(pathlib.Path(out).read_text())
    errors = data.get("errors", [])
    kinds = {}
    for e in errors:
        kind = e.get("type")
        kind = str(kind[0] if isinstance(kind, list) else kind)
        kinds[kind] = kinds.get(kind, 0) + 1
    print(
        f"semgrep {name}: {len(data.get('paths', {}).get('scanned', []))} files scanned, "
        f"{len(data.get('results', []))} new findings, {len(errors)} errors/warnings" + (f" {kinds}" if kinds else ""),
        file=sys.stderr, flush=True,
    )
    if any(e.get("level") == "error" for e in errors):
        raise Failed(f"semgrep {name}: " + "; ".join(e.get("message", "")[:300] for e in errors if e.get("level") == "error"))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--bin", default=str(ROOT / "target/release/riskdiff"))
    ap.add_argument("--only", default="")
    ap.add_argument("--no-build", action="store_true", help="use the floor example as built")
    ap.add_argument("--semgrep", action="store_true", help="add Semgrep's diff-aware scan (opt-in)")
    ap.add_argument("--semgrep-dir", default="/tmp/rd-semgrep", help="where HEAD checkouts for Semgrep go")
    args = ap.parse_args()
    mirrors = os.environ.get("MIRRORS") or sys.exit("set MIRRORS to the corpus mirrors")
    floor = str(ROOT / "target/release/examples/floor")
    if not (args.no_build and os.path.exists(floor)):
        subprocess.run(["cargo", "build", "--release", "--quiet", "--example", "floor"], cwd=ROOT, check=True)
    semgrep_root = pathlib.Path(args.semgrep_dir).resolve()
    if args.semgrep:
        if semgrep_root == ROOT or ROOT in semgrep_root.parents:
            sys.exit("--semgrep-dir must be outside the repository")
        version = subprocess.run(["semgrep", "--version"], env=SEMGREP_ENV, capture_output=True, text=True)
        if version.returncode != 0:
            sys.exit(f"semgrep --version failed: {version.stderr.strip()}")
        print(f"semgrep {version.stdout.strip()}, rules {SEMGREP_RULES.relative_to(ROOT)}", file=sys.stderr)
    ranges = tomllib.loads((ROOT / "bench/ranges.toml").read_text())["range"]
    head = "| range | files | read floor | parse all changed | riskdiff | ÷ read floor | ÷ parse all | peak memory (riskdiff) | empty diff |"
    rule = "|---|---:|---:|---:|---:|---:|---:|---:|---:|"
    if args.semgrep:
        head += " Semgrep diff-aware | Semgrep ÷ riskdiff |"
        rule += "---:|---:|"
    print(head)
    print(rule)
    for r in ranges:
        if args.only and args.only not in r["repo"]:
            continue
        repo = f"{mirrors}/{r['repo'].replace('/', '+')}/repo"
        cmds = {
            "read": [floor, "read", repo, r["base"], r["head"]],
            "parse": [floor, "parse", repo, r["base"], r["head"]],
            "riskdiff": [args.bin, "-C", repo, "check", f"{r['base']}..{r['head']}", "--format", "json"],
            "empty": [args.bin, "-C", repo, "check", f"{r['head']}..{r['head']}"],
        }
        name = f"{r['repo']}, {r['label']}"
        semgrep_failed = None
        cwd = {}
        if args.semgrep:
            try:
                path, took = semgrep_checkout(semgrep_root, repo, r["repo"], r["head"])
                print(f"semgrep {name}: checkout {path} ready in {took:.1f} s", file=sys.stderr, flush=True)
                out = str(semgrep_root / f"{path.name}-{r['base'][:12]}.json")
                semgrep_preflight(path, r["base"], name, out)
                cmds["semgrep"] = semgrep_cmd(r["base"], "/dev/null")
                cwd["semgrep"] = path
            except (Failed, subprocess.CalledProcessError, OSError, ValueError) as e:
                detail = e.stderr if isinstance(e, subprocess.CalledProcessError) else e
                semgrep_failed = "failed"
                print(f"semgrep {name}: {detail}", file=sys.stderr, flush=True)
        times = {k: [] for k in cmds}
        peak = {k: 0.0 for k in cmds}
        for _ in range(args.rounds):
            for k, cmd in list(cmds.items()):
                try:
                    wall, rss = run(cmd, cwd=cwd.get(k), env=SEMGREP_ENV if k == "semgrep" else None,
                                    fatal=k != "semgrep")
                except Failed as e:
                    semgrep_failed = "failed"
                    print(f"semgrep {name}: {e}", file=sys.stderr, flush=True)
                    del cmds[k]
                    continue
                times[k].append(wall)
                peak[k] = max(peak[k], rss)
        med = {k: statistics.median(v) for k, v in times.items() if v}
        ms = lambda s: f"{s * 1000:,.0f} ms" if s >= 0.1 else f"{s * 1000:.1f} ms"
        line = (
            f"| {name} | {r['files']:,} | {ms(med['read'])} | {ms(med['parse'])} "
            f"| {ms(med['riskdiff'])} | {med['riskdiff'] / med['read']:.1f}× | {med['riskdiff'] / med['parse']:.2f}× "
            f"| {peak['riskdiff']:,.0f} MB | {ms(med['empty'])} |"
        )
        if args.semgrep:
            if semgrep_failed or "semgrep" not in med:
                line += " failed (see stderr) | – |"
            else:
                line += f" {ms(med['semgrep'])} | {med['semgrep'] / med['riskdiff']:.1f}× |"
        print(line, flush=True)


if __name__ == "__main__":
    main()
