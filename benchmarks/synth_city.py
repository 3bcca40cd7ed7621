"""A synthetic city: N invented elders in the import format, spread over every community of
the demo district (福田区, ``yiyang/regions/data/futian_demo.csv``), with the real street
names in their addresses. Nobody here is real (``yiyang.core.synthetic``).

    python benchmarks/synth_city.py --elders 1000000 --seed 2026 --out var/city.csv

Rows are streamed to the file: memory stays flat whatever N is. ID numbers are unique
within one file and the output is the same for the same seed (and ``--today``).
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import sys
import time
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from yiyang.core.synthetic import HEADER, synthetic_elder_rows  # noqa: E402

REGIONS_CSV = ROOT / "yiyang" / "regions" / "data" / "futian_demo.csv"


def demo_communities(path: Path = REGIONS_CSV) -> list[tuple[str, str]]:
    """[(12-digit community code, its street's name)] from the demo code list, in code order."""
    with path.open(encoding="utf-8-sig", newline="") as f:
        names = {r["code"].strip(): r["name"].strip() for r in csv.DictReader(f)}
    communities = []
    for code in sorted(names):
        if code[9:] != "000":  # a 社区: its street is the same 9-digit prefix + 000
            street = names.get(code[:9] + "000")
            if street is None:
                raise ValueError(f"{path}: community {code} has no street row")
            communities.append((code, street))
    if not communities:
        raise ValueError(f"{path}: no community codes")
    return communities


def city_rows(n: int, *, seed: int, today: dt.date | None = None) -> Iterator[list[str]]:
    return synthetic_elder_rows(n, seed=seed, communities=demo_communities(), today=today)


def write_city_csv(out, n: int, *, seed: int, today: dt.date | None = None) -> int:
    """Write HEADER + ``n`` rows to ``out`` (a path or a text file object). Returns n."""
    if isinstance(out, str | Path):
        with Path(out).open("w", encoding="utf-8", newline="") as f:
            return write_city_csv(f, n, seed=seed, today=today)
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(HEADER)
    rows = city_rows(n, seed=seed, today=today)
    while True:  # chunks: writerows is faster than row by row, and memory stays flat
        chunk = [row for _, row in zip(range(10_000), rows, strict=False)]
        if not chunk:
            break
        writer.writerows(chunk)
    return n


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Generate a synthetic city's elders as an import CSV.")
    parser.add_argument("--elders", type=int, required=True, help="number of elders (rows)")
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--out", required=True, help="CSV file to write (UTF-8)")
    parser.add_argument("--today", type=dt.date.fromisoformat, default=None,
                        help="reference date for ages (YYYY-MM-DD; default: today)")
    args = parser.parse_args(argv)
    if args.elders < 0:
        parser.error("--elders must be >= 0")
    started = time.perf_counter()
    write_city_csv(args.out, args.elders, seed=args.seed, today=args.today)
    print(f"{args.elders:,} elders in {len(demo_communities())} communities → {args.out} "
          f"({time.perf_counter() - started:.1f} s)", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
