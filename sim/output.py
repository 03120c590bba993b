"""Writing a run's outputs atomically: everything goes to a temporary folder next to the
destination and is moved in only when complete, so an interrupted or failed run never leaves
a half-written output folder and never clobbers earlier results with partial ones."""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from collections.abc import Callable
from contextlib import contextmanager
from pathlib import Path

FLOAT_FORMAT = "%.10g"


@contextmanager
def staged_output(out_dir: str | Path):
    """Yield a temporary folder; on success move its files into ``out_dir`` (created if
    needed, existing files of the same name replaced one by one); on error remove it."""
    out = Path(out_dir)
    parent = out.parent if str(out.parent) else Path(".")
    parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.tmp-", dir=parent))
    try:
        yield tmp
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    out.mkdir(parents=True, exist_ok=True)
    for src in sorted(tmp.rglob("*")):
        if src.is_file():
            dst = out / src.relative_to(tmp)
            dst.parent.mkdir(parents=True, exist_ok=True)
            os.replace(src, dst)
    shutil.rmtree(tmp, ignore_errors=True)


def write_run(model, out_dir: Path, wall_time: float, plot: Callable | None = None) -> dict:
    """Write timeseries.csv, regions.csv, summary.json (and plots/overview.png if ``plot``)
    for a finished model into ``out_dir`` (normally a staging folder). Returns the summary."""
    ts = model.metrics_frame()
    ts.to_csv(out_dir / "timeseries.csv", index=False, float_format=FLOAT_FORMAT)
    model.regions_frame().to_csv(out_dir / "regions.csv", index=False, float_format=FLOAT_FORMAT)
    summary = summarize(model, ts, wall_time)
    (out_dir / "summary.json").write_text(json.dumps(summary, indent=2) + "\n")
    from .provenance import RESOLVED, write_resolved

    write_resolved(model.config, out_dir / RESOLVED)
    if plot is not None:
        (out_dir / "plots").mkdir(exist_ok=True)
        fig = plot(ts, title=plot_title(model.config))
        fig.savefig(out_dir / "plots" / "overview.png", dpi=110)
        import matplotlib.pyplot as plt

        plt.close(fig)
    return summary


def plot_title(scn) -> str:
    """``name (seed S)``, then the overrides on a second line: a figure says what made it."""
    from .scenario import format_overrides

    title = f"{scn.name} (seed {scn.seed})"
    if scn.overrides:
        title += "\n" + _wrap("with " + format_overrides(scn.overrides), 90)
    return title


def _wrap(text: str, width: int) -> str:
    import textwrap

    return "\n".join(textwrap.wrap(text, width)) or text


def summarize(model, ts, wall_time: float, window: int = 52) -> dict:
    from . import __version__
    from .provenance import provenance

    scn = model.config
    tail = ts.iloc[-window:]
    prov = provenance(scn.overrides)
    return {
        "scenario": scn.name,
        "description": scn.description,
        "source": scn.source,
        "seed": scn.seed,
        "weeks": int(model.week),
        "tocsim_version": __version__,
        "engine": prov["engine"],
        "git_commit": prov["git_commit"],
        "overrides": prov["overrides"],
        "scenario_hash": scn.hash,
        "world": model.world.source,
        "wall_time_s": round(wall_time, 3),
        "window_weeks": int(len(tail)),
        "means_last_window": {c: float(tail[c].mean()) for c in ts.columns if c != "week"},
        "interventions": [
            {"name": iv.name, "type": iv.type, "cumulative_cost": float(iv.cumulative_cost)}
            for iv in model.interventions
        ],
    }
