"""`python -m bench [name ...]`: run the benchmarks (all by default), each in its own process."""

from __future__ import annotations

import subprocess
import sys

BENCHMARKS = ["votes", "results", "page", "export", "ogc", "tiles", "surveys", "alerts", "browser"]


def main(argv: list[str]) -> int:
    # Leading names choose benchmarks; everything from the first option on is passed to them.
    split = next((i for i, a in enumerate(argv) if a.startswith("-")), len(argv))
    names, options = argv[:split] or BENCHMARKS, argv[split:]
    unknown = sorted(set(names) - set(BENCHMARKS))
    if unknown:
        print(f"unknown benchmarks: {', '.join(unknown)}; known: {', '.join(BENCHMARKS)}")
        return 2
    failed = 0
    for name in names:
        # A process each: every benchmark sets up Django against its own throw-away database.
        failed += subprocess.call([sys.executable, "-m", f"bench.{name}", *options]) != 0
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
