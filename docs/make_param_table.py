"""Render the parameter and metric tables of docs/ODD.md from the code.

The parameter table comes from ``sim.params.PARAMS`` and goes between the lines
``<!-- params:start -->`` and ``<!-- params:end -->``; the metric table comes from
``sim.metrics.METRICS`` and goes between ``<!-- metrics:start -->`` and ``<!-- metrics:end -->``.

Usage (from the repository root)::

    python docs/make_param_table.py            # rewrite the tables in docs/ODD.md
    python docs/make_param_table.py --check    # exit 1 if docs/ODD.md is out of date
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
ODD = ROOT / "docs" / "ODD.md"

PARAMS_START, PARAMS_END = "<!-- params:start -->", "<!-- params:end -->"
METRICS_START, METRICS_END = "<!-- metrics:start -->", "<!-- metrics:end -->"


def _cell(text: object) -> str:
    """Make a value safe inside a markdown table cell."""
    return str(text).replace("|", "\\|").replace("\n", " ").strip()


def _num(x: float, kind: type = float) -> str:
    if kind is int:
        return str(int(x))
    if float(x) == int(x) and abs(x) < 1e6:
        return str(int(x))
    return f"{x:.6g}"


def render_params() -> str:
    """The parameter table: one row per ``group.name`` in declaration order."""
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    from sim.params import PARAMS

    lines = [
        "| Parameter | Default | Unit | Range | Source | Description |",
        "|---|---|---|---|---|---|",
    ]
    for group, params in PARAMS.items():
        for name, p in params.items():
            rng = f"{_num(p.lo, p.kind)} – {_num(p.hi, p.kind)}"
            lines.append(
                f"| `{group}.{name}` | {_num(p.default, p.kind)} | {_cell(p.unit)} | {rng} "
                f"| {_cell(p.source)} | {_cell(p.doc)} |"
            )
    return "\n".join(lines)


def render_metrics() -> str:
    """The weekly metric table: one row per name in ``METRICS``."""
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    from sim.metrics import METRICS

    lines = ["| Metric | Unit | Definition |", "|---|---|---|"]
    for name, (unit, doc) in METRICS.items():
        lines.append(f"| `{name}` | {_cell(unit)} | {_cell(doc)} |")
    return "\n".join(lines)


def replace_between(text: str, start: str, end: str, body: str) -> str:
    """Replace what lies between the marker lines ``start`` and ``end`` with ``body``."""
    lines = text.split("\n")
    try:
        i = next(k for k, line in enumerate(lines) if line.strip() == start)
        j = next(k for k, line in enumerate(lines) if k > i and line.strip() == end)
    except StopIteration:
        raise ValueError(f"markers {start!r} ... {end!r} not found (in that order)") from None
    return "\n".join(lines[: i + 1] + body.split("\n") + lines[j:])


def render(text: str) -> str:
    """``text`` with both tables brought up to date."""
    text = replace_between(text, PARAMS_START, PARAMS_END, render_params())
    return replace_between(text, METRICS_START, METRICS_END, render_metrics())


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument(
        "--check",
        action="store_true",
        help="do not write; exit 1 if the tables in the file are out of date",
    )
    ap.add_argument("--file", type=Path, default=ODD, help="markdown file (default: docs/ODD.md)")
    args = ap.parse_args(argv)
    old = args.file.read_text()
    try:
        new = render(old)
    except ValueError as exc:
        print(f"{args.file}: {exc}", file=sys.stderr)
        return 1
    if args.check:
        if new != old:
            print(
                f"{args.file}: parameter or metric table is out of date; "
                "run python docs/make_param_table.py",
                file=sys.stderr,
            )
            return 1
        return 0
    if new != old:
        args.file.write_text(new)
        print(f"updated {args.file}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
