"""``python -m derive`` regenerates generated/; ``python -m derive --check`` exits 1 with a diff if it is stale."""

from __future__ import annotations

import argparse
import difflib
import sys
import tempfile
from pathlib import Path

GENERATED = Path(__file__).resolve().parents[1] / "generated"


def write(outdir: Path) -> list:
    from .generate import build_files

    outdir.mkdir(parents=True, exist_ok=True)
    files = build_files()
    for rel, text in files.items():
        path = outdir / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        with open(path, "w", encoding="utf-8", newline="\n") as fh:
            fh.write(text)
    return sorted(files)


def diff(fresh: Path, committed: Path) -> str:
    """Unified diff of the file lists and of every file between a fresh build and the committed directory."""
    def listing(d):
        return sorted(str(p.relative_to(d)) for p in d.rglob("*") if p.is_file() and "__pycache__" not in p.parts)

    a, b = listing(committed) if committed.exists() else [], listing(fresh)
    out = []
    if a != b:
        out += difflib.unified_diff([x + "\n" for x in a], [x + "\n" for x in b], "committed file list", "fresh file list")
    for rel in sorted(set(a) & set(b)):
        ta = (committed / rel).read_text(encoding="utf-8").splitlines(keepends=True)
        tb = (fresh / rel).read_text(encoding="utf-8").splitlines(keepends=True)
        out += difflib.unified_diff(ta, tb, f"committed/generated/{rel}", f"fresh/generated/{rel}")
    return "".join(out)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(prog="python -m derive", description=__doc__)
    ap.add_argument("--check", action="store_true", help="regenerate into a temporary directory and diff")
    ap.add_argument("--out", type=Path, default=GENERATED, help="output directory (default: generated/)")
    args = ap.parse_args(argv)
    if args.check:
        with tempfile.TemporaryDirectory() as tmp:
            write(Path(tmp))
            d = diff(Path(tmp), args.out)
        if d:
            sys.stdout.write(d)
            print(f"\n{args.out} is stale: run `python -m derive` and commit the result.", file=sys.stderr)
            return 1
        print(f"{args.out} is up to date.")
        return 0
    files = write(args.out)
    print(f"wrote {len(files)} files to {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
