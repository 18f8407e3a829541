#!/usr/bin/env python3
"""Benchmarks riskdiff on real ranges (bench/ranges.toml) against the cost
of reading the change and of parsing it, interleaved, and prints a
Markdown table of medians. Not part of CI: it needs the corpus mirrors.

    MIRRORS=/work/.mirror bench/ranges.py [--rounds 5] [--bin PATH] [--only saleor]

Per range, one round runs each command once, in turn:
  read floor   list the changed files and read both sides' blobs
               (examples/floor.rs, `read`: libgit2, rayon, as riskdiff reads)
  parse all    the same plus a plain tree-sitter parse of every changed file
               on both sides with the grammar its name implies (`parse`)
  riskdiff     `riskdiff check BASE..HEAD --format json`
  empty diff   `riskdiff check HEAD..HEAD` (the early exit)
Wall times are medians over the rounds; peak memory is the largest
resident set any round of a command reached (getrusage of the child).
Semgrep and ast-grep are not run here (not installed on a fresh machine).
"""
import argparse
import os
import pathlib
import statistics
import subprocess
import sys
import time
import tomllib

ROOT = pathlib.Path(__file__).resolve().parent.parent


def run(cmd):
    """(wall seconds, peak RSS in MiB) of one run of `cmd`."""
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    code = os.waitstatus_to_exitcode(status)
    if code not in (0, 1):  # riskdiff exits 1 when it finds something
        err = proc.stderr.read().decode(errors="replace")
        sys.exit(f"{' '.join(cmd)} exited {code}: {err}")
    return wall, usage.ru_maxrss / 1024


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--bin", default=str(ROOT / "target/release/riskdiff"))
    ap.add_argument("--only", default="")
    args = ap.parse_args()
    mirrors = os.environ.get("MIRRORS") or sys.exit("set MIRRORS to the corpus mirrors")
    subprocess.run(["cargo", "build", "--release", "--quiet", "--example", "floor"], cwd=ROOT, check=True)
    floor = str(ROOT / "target/release/examples/floor")
    ranges = tomllib.loads((ROOT / "bench/ranges.toml").read_text())["range"]
    print("| range | files | read floor | parse all changed | riskdiff | ÷ read floor | ÷ parse all | peak memory (riskdiff) | empty diff |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|")
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
        times = {k: [] for k in cmds}
        peak = {k: 0.0 for k in cmds}
        for _ in range(args.rounds):
            for k, cmd in cmds.items():
                wall, rss = run(cmd)
                times[k].append(wall)
                peak[k] = max(peak[k], rss)
        med = {k: statistics.median(v) for k, v in times.items()}
        ms = lambda s: f"{s * 1000:,.0f} ms" if s >= 0.1 else f"{s * 1000:.1f} ms"
        print(
            f"| {r['repo']}, {r['label']} | {r['files']:,} | {ms(med['read'])} | {ms(med['parse'])} "
            f"| {ms(med['riskdiff'])} | {med['riskdiff'] / med['read']:.1f}× | {med['riskdiff'] / med['parse']:.2f}× "
            f"| {peak['riskdiff']:,.0f} MB | {ms(med['empty'])} |",
            flush=True,
        )


if __name__ == "__main__":
    main()
