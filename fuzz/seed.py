#!/usr/bin/env python3
"""Seeds each fuzz target's corpus with the fixtures' before/after pairs,
so the fuzzer starts from the shapes real repositories hold.

    python3 fuzz/seed.py        # writes fuzz/corpus/<target>/
"""
import hashlib
import os
import pathlib

ROOT = pathlib.Path(__file__).resolve().parent.parent
OUT = ROOT / "fuzz" / "corpus"

# Each target's selector table, by file suffix (mirrors fuzz_targets/*.rs).
MARKUP = [".html", None, ".blade.php", ".php", ".vue", ".svelte", ".md"]
KEYPATH = [".yml", ".json", ".toml", ".tf", ".env", ".ini"]
BATCH = [".py", ".php", ".js", ".ts", ".rb"]
ROUTES = ["urls.py", "views.py", "routes.rb", "web.php", "index.php", "index.js", "app.ts"]
CHECK_SUFFIX = {
    ".html": 0, ".php": 1, ".blade.php": 2, ".erb": 3, ".j2": 4, ".twig": 4, ".md": 5,
    ".vue": 6, ".jsx": 7, ".py": 8, ".rb": 10, ".js": 11, ".ts": 12, ".env": 18,
    ".yml": 19, ".yaml": 20, ".tf": 21, ".json": 22, ".toml": 23, ".sh": 25, ".cf": 28,
    ".conf": 29, ".ini": 31,
}


def selector(table, name):
    for i, suffix in enumerate(table):
        if suffix and name.endswith(suffix):
            best = i
            # The longest suffix wins (`.blade.php` over `.php`).
            for j, other in enumerate(table):
                if other and name.endswith(other) and len(other) > len(table[best]):
                    best = j
            return best
    return None


def pairs():
    for after in ROOT.glob("fixtures/*/*/after/**/*"):
        if not after.is_file():
            continue
        # fixtures/<family>/<case>/after/<path>
        parts = after.relative_to(ROOT).parts
        before = ROOT.joinpath(*parts[:3], "before", *parts[4:])
        base = before.read_bytes() if before.is_file() else b""
        head = after.read_bytes()
        if len(base) + len(head) > 64 * 1024:
            continue
        yield after.name, base, head


def write(target, sel, base, head):
    data = bytes([sel]) + base + b"\xff" + head
    folder = OUT / target
    folder.mkdir(parents=True, exist_ok=True)
    (folder / hashlib.sha1(data).hexdigest()).write_bytes(data)


def main():
    n = 0
    for name, base, head in pairs():
        for target, table in (("markup", MARKUP), ("keypath", KEYPATH), ("routes", ROUTES), ("batch_loops", BATCH)):
            sel = selector(table, name)
            if sel is not None:
                write(target, sel, base, head)
        suffix = max((s for s in CHECK_SUFFIX if name.endswith(s)), key=len, default=None)
        if suffix:
            write("check", CHECK_SUFFIX[suffix], base, head)
        n += 1
    print(f"seeded from {n} fixture files into {OUT}")


if __name__ == "__main__":
    main()
