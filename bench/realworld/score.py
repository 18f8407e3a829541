#!/usr/bin/env python3
"""Scores a run of bench/realworld/run.sh against verdicts.toml and
incidents.toml, and prints Markdown tables.

    score.py OUT                 the tables
    score.py OUT --unreviewed    every high/medium finding without a verdict,
                                 as verdicts.toml entries to fill in
    score.py OUT --rule R        only findings of rule R (with --unreviewed or --all)
    score.py OUT --all           every finding (any severity) with its verdict

Verdicts live in verdicts/<family>.toml. A verdict matches a finding by (repo, commit, fingerprint), or, when
fingerprints changed since it was written, by (repo, commit, rule, path).
An incident counts as caught when a finding of its rule points at its path
(or, for rules whose finding points elsewhere, anywhere in that commit).
"""
import collections
import json
import pathlib
import sys
import tomllib

ROOT = pathlib.Path(__file__).resolve().parent
BLOCKING = ("high", "medium")


def load_runs(out):
    """(repo name, commit dict) for every commit of every repository run."""
    runs = {}
    for f in sorted((out / "repos").glob("*.jsonl")):
        name = f.stem.replace("+", "/", 1)
        commits, summary = [], None
        for line in f.read_text().splitlines():
            d = json.loads(line)
            if "summary" in d:
                summary = d["summary"]
            else:
                commits.append(d)
        runs[name] = (commits, summary)
    return runs


def load_verdicts():
    """verdicts/<family>.toml: one file per rule family, so reviews of
    different families never touch the same file."""
    vs = []
    for p in sorted((ROOT / "verdicts").glob("*.toml")):
        vs.extend(tomllib.loads(p.read_text()).get("verdict", []))
    by_fp, by_place = {}, {}
    for v in vs:
        c = v["commit"][:7]
        by_fp[(v["repo"], c, v["fingerprint"])] = v
        by_place[(v["repo"], c, v["rule"], v["path"])] = v
    return vs, by_fp, by_place


def verdict_of(repo, commit, f, by_fp, by_place):
    c = commit["id"][:7]
    return by_fp.get((repo, c, f["fingerprint"])) or by_place.get((repo, c, f["rule"], f["path"]))


def incident_caught(inc, report):
    if report is None:
        return False, []
    found = report.get("findings", [])
    rules = [(f["rule"], f["path"], f["severity"]) for f in found]
    for f in found:
        if f["rule"] == inc["rule"] and (
            f["path"] == inc["path"] or inc["rule"] in ("forms/endpoint-unrouted", "mail/recipient-removed")
        ):
            return True, rules
    return False, rules


def main():
    args = sys.argv[1:]
    if not args:
        print(__doc__)
        sys.exit(2)
    out = pathlib.Path(args[0])
    only_rule = args[args.index("--rule") + 1] if "--rule" in args else None
    runs = load_runs(out)
    _, by_fp, by_place = load_verdicts()

    if "--unreviewed" in args or "--all" in args:
        for repo, (commits, _) in runs.items():
            for c in commits:
                for f in c["findings"]:
                    if only_rule and f["rule"] != only_rule:
                        continue
                    v = verdict_of(repo, c, f, by_fp, by_place)
                    if "--unreviewed" in args and (v or f["severity"] not in BLOCKING):
                        continue
                    print("[[verdict]]")
                    print(f'repo = "{repo}"')
                    print(f'commit = "{c["id"]}"')
                    print(f'rule = "{f["rule"]}"')
                    print(f'path = "{f["path"]}"')
                    print(f'fingerprint = "{f["fingerprint"]}"')
                    print(f'# {f["severity"]} {c["short"]} {c["subject"][:80]}')
                    print("# " + f["message"][:400].replace("\n", " "))
                    if v:
                        print(f'verdict = "{v["verdict"]}"\nwhy = {json.dumps(v.get("why", ""))}')
                    else:
                        print('verdict = ""\nwhy = ""')
                    print()
        return

    # --- per repository
    total_commits = 0
    per_rule = collections.defaultdict(lambda: collections.Counter())
    slow = []
    print("## Corpus run\n")
    print("| repository | commits | not checked | high | medium | low | blocking / 100 commits | commits > 1 s | slowest |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|")
    for repo, (commits, summary) in runs.items():
        sev = collections.Counter()
        for c in commits:
            ms = c.get("elapsed_ms", 0)
            if ms > 1000:
                slow.append((ms, repo, c["short"], c["files_changed"]))
            for f in c["findings"]:
                sev[f["severity"]] += 1
                k = per_rule[f["rule"]]
                k[f["severity"]] += 1
                if f["severity"] in BLOCKING:
                    v = verdict_of(repo, c, f, by_fp, by_place)
                    k[v["verdict"] if v and v["verdict"] in ("right", "wrong") else "unreviewed"] += 1
                else:
                    v = verdict_of(repo, c, f, by_fp, by_place)
                    if v and v["verdict"] in ("right", "wrong"):
                        k["low_" + v["verdict"]] += 1
        n = len(commits)
        total_commits += n
        blocking = sev["high"] + sev["medium"]
        slowest = max((c.get("elapsed_ms", 0) for c in commits), default=0)
        n_slow = sum(1 for c in commits if c.get("elapsed_ms", 0) > 1000)
        unchecked = sum(1 for c in commits if c.get("error"))
        print(
            f"| {repo} | {n} | {unchecked} | {sev['high']} | {sev['medium']} | {sev['low']} | "
            f"{100 * blocking / n if n else 0:.2f} | {n_slow} | {slowest} ms |"
        )

    # --- per rule
    print("\n## Per rule (high and medium findings are reviewed one by one)\n")
    print("| rule | high | medium | right | wrong | unreviewed | precision | low | low reviewed (right/wrong) |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|")
    tot = collections.Counter()
    for rule in sorted(per_rule):
        k = per_rule[rule]
        tot.update(k)
        judged = k["right"] + k["wrong"]
        prec = f"{100 * k['right'] / judged:.0f}%" if judged else "–"
        print(
            f"| `{rule}` | {k['high']} | {k['medium']} | {k['right']} | {k['wrong']} | {k['unreviewed']} | {prec} | "
            f"{k['low']} | {k['low_right']}/{k['low_wrong']} |"
        )
    judged = tot["right"] + tot["wrong"]
    prec = f"{100 * tot['right'] / judged:.0f}%" if judged else "–"
    print(
        f"| **all** | {tot['high']} | {tot['medium']} | {tot['right']} | {tot['wrong']} | {tot['unreviewed']} | "
        f"{prec} | {tot['low']} | {tot['low_right']}/{tot['low_wrong']} |"
    )
    blocking = tot["high"] + tot["medium"]
    print(
        f"\n{total_commits} commits; {blocking} blocking findings "
        f"({100 * blocking / max(total_commits, 1):.2f} per 100 commits); "
        f"{tot['wrong']} reviewed wrong ({2000 * tot['wrong'] / max(total_commits, 1):.2f} per 2,000 commits)."
    )

    # --- incidents
    incidents = tomllib.loads((ROOT / "incidents.toml").read_text())["incident"]
    fam = collections.defaultdict(lambda: [0, 0])
    missed = []
    for i, inc in enumerate(incidents):
        p = out / "incidents" / f"{i}.json"
        report = None
        if p.exists() and p.stat().st_size:
            try:
                report = json.loads(p.read_text())
            except json.JSONDecodeError:
                report = None
        ok, rules = incident_caught(inc, report)
        fam[inc["family"]][1] += 1
        if ok:
            fam[inc["family"]][0] += 1
        else:
            err = (out / "incidents" / f"{i}.err")
            why = "not run" if report is None else ", ".join(f"{r} {s} {p}" for r, p, s in rules) or "no finding"
            if report is None and err.exists() and err.read_text().strip():
                why = "error: " + err.read_text().strip().splitlines()[0][:120]
            missed.append((inc, why))
    caught = sum(c for c, _ in fam.values())
    print("\n## Recall on incidents\n")
    print("| family | caught | incidents | recall |")
    print("|---|---:|---:|---:|")
    for f in sorted(fam):
        c, n = fam[f]
        print(f"| {f} | {c} | {n} | {100 * c / n:.0f}% |")
    print(f"| **all** | {caught} | {len(incidents)} | {100 * caught / max(len(incidents), 1):.0f}% |")
    if missed:
        print("\nMissed:\n")
        for inc, why in missed:
            shape = " (new shape)" if inc.get("new_shape") else ""
            print(f"- `{inc['repo']}` {inc['commit'][:7]} `{inc['rule']}`{shape} at `{inc['path']}`: {why}")

    # --- speed
    slow.sort(reverse=True)
    print(f"\n## Speed\n\n{len(slow)} commits took over 1 s.\n")
    for ms, repo, short, files in slow[:15]:
        print(f"- {repo} {short}: {ms} ms, {files} files changed")


if __name__ == "__main__":
    main()
