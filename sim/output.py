"""Writing outputs atomically.

Everything goes to a staging folder beside the destination, ``.<name>.tmp-<pid>-<random>``,
and replaces the destination only when complete:

- ``staged_output(out)`` (a run's folder) swaps whole folders: the old folder is renamed
  aside (``.<name>.old-<pid>-<random>``), the staging folder renamed to ``out``, then the old
  one removed. A reader sees the old folder or the new one, never a mix; an error or Ctrl-C
  before the swap leaves the old folder untouched; if the second rename fails the old
  folder is put back.
- ``staged_output(out, keep_others=True)`` (a comparison or a sensitivity folder, which also
  holds the stored runs) replaces only the entries the staging folder holds, after moving the
  old ones to ``.<name>.undo-<pid>-<random>``; an error or Ctrl-C during the moves puts the
  old entries back.

A process killed with SIGKILL leaves its staging folders behind; the next ``staged_output``
into the same destination removes those of processes that are gone (restoring an old folder
or old entries whose swap was cut short), so nothing stale accumulates.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import tempfile
from contextlib import contextmanager
from pathlib import Path

from .errors import ScenarioError

FLOAT_FORMAT = "%.10g"
RUN_MARKER = "summary.json"  # a folder holding it is a run folder that may be replaced


def _stage_re(name: str) -> re.Pattern:
    return re.compile(rf"^\.{re.escape(name)}\.(tmp|old|undo)-(\d+)-")


def _alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def clean_stale(out: Path) -> list[Path]:
    """Remove staging folders beside ``out`` left by processes that no longer run; restore
    what an interrupted swap had moved aside. Returns what was removed or restored."""
    parent = out.parent
    done: list[Path] = []
    if not parent.is_dir():
        return done
    pat = _stage_re(out.name)
    for p in sorted(parent.iterdir()):
        m = pat.match(p.name)
        if not m or _alive(int(m.group(2))) or not p.is_dir():
            continue
        kind = m.group(1)
        if kind == "old" and not out.exists():
            os.replace(p, out)  # the swap stopped between its two renames: put the old back
        elif kind == "undo":
            for entry in p.iterdir():  # put back the old entries of a cut-short replacement
                dst = out / entry.name
                if dst.is_dir() and not dst.is_symlink():
                    shutil.rmtree(dst, ignore_errors=True)
                elif dst.exists() or dst.is_symlink():
                    dst.unlink()
                os.replace(entry, dst)
            shutil.rmtree(p, ignore_errors=True)
        else:
            shutil.rmtree(p, ignore_errors=True)
        done.append(p)
    return done


def make_folder(out_dir: str | Path, label: str | None = None) -> Path:
    """Create the output folder ``out_dir`` (and its parents) if it is not there: a file in the
    way, or a folder that cannot be made, is bad input (``ScenarioError`` naming the path),
    not an ``OSError`` traceback. For the commands that fill a folder in place (batches,
    exercise sessions); a run's folder is staged instead (:func:`staged_output`)."""
    out = Path(out_dir)
    label = label or f"--out {out}"
    try:
        if out.exists() and not out.is_dir():
            raise ScenarioError(f"{label}: exists and is not a folder; nothing was written")
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        why = f"{exc.strerror}: {exc.filename}" if exc.strerror and exc.filename else exc
        raise ScenarioError(f"{label}: cannot create a folder there ({why}); nothing was "
                            "written") from None
    except ValueError:  # a NUL byte
        raise ScenarioError(f"{label[:80]}: not a valid folder name") from None
    return out


def check_destination(out_dir: str | Path, keep_others: bool = False) -> Path:
    """Refuse (``ScenarioError``) a destination that cannot be written or, for a run, an
    existing folder that is not a run folder (it would be replaced as a whole)."""
    out = Path(out_dir)
    label = f"--out {out}"
    try:
        out = out.absolute()
        if len(out.name.encode()) > 200:
            raise ScenarioError(f"{label}: folder name longer than 200 bytes")
        if out.exists() and not out.is_dir():
            raise ScenarioError(f"{label}: exists and is not a folder; nothing was written")
        if not keep_others and out.is_dir() and any(out.iterdir()) \
                and not (out / RUN_MARKER).is_file():
            raise ScenarioError(f"{label}: exists, is not empty and is not a tocsim run folder "
                                f"(no {RUN_MARKER}); it would be replaced: choose another "
                                "folder; nothing was written")
    except ValueError:  # a NUL byte
        raise ScenarioError(f"{label[:80]}: not a valid folder name") from None
    except OSError as exc:
        raise ScenarioError(f"{label}: {exc.strerror or exc}; nothing was written") from None
    return out



def _umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


FILE_MODE = 0o666 & ~_umask()  # what open() would give: mkstemp's files are private


def write_atomic(path: str | Path, data: bytes) -> None:
    """Write ``data`` to ``path`` through a temporary file in the same folder, flushed to disk,
    then renamed: the file is the old one or the new one, never half written."""
    path = Path(path)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        os.fchmod(fd, FILE_MODE)
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


@contextmanager
def staged_output(out_dir: str | Path, keep_others: bool = False):
    """Yield a staging folder; on success it replaces ``out_dir`` in one step (see the module
    docstring); on an error or an interrupt it is removed and ``out_dir`` is untouched."""
    out = check_destination(out_dir, keep_others)
    parent = out.parent
    try:
        parent.mkdir(parents=True, exist_ok=True)
        clean_stale(out)
        tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.tmp-{os.getpid()}-", dir=parent))
    except OSError as exc:
        raise ScenarioError(f"--out {out}: cannot create a folder there: "
                            f"{exc.strerror or exc}; nothing was written") from None
    try:
        yield tmp
        if keep_others:
            _replace_entries(tmp, out)
        else:
            _swap(tmp, out)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def _swap(tmp: Path, out: Path) -> None:
    if not out.exists():
        os.replace(tmp, out)
        return
    old = Path(tempfile.mkdtemp(prefix=f".{out.name}.old-{os.getpid()}-", dir=out.parent))
    os.rmdir(old)
    os.replace(out, old)
    try:
        os.replace(tmp, out)
    except BaseException:
        os.replace(old, out)
        raise
    shutil.rmtree(old, ignore_errors=True)


def _replace_entries(tmp: Path, out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    undo = Path(tempfile.mkdtemp(prefix=f".{out.name}.undo-{os.getpid()}-", dir=out.parent))
    moved_old, moved_new = [], []
    try:
        for entry in sorted(tmp.iterdir()):
            dst = out / entry.name
            if dst.exists() or dst.is_symlink():
                os.replace(dst, undo / entry.name)
                moved_old.append(entry.name)
            os.replace(entry, dst)
            moved_new.append(entry.name)
    except BaseException:
        for name in moved_new:
            dst = out / name
            shutil.rmtree(dst, ignore_errors=True) if dst.is_dir() else dst.unlink(missing_ok=True)
        for name in moved_old:
            os.replace(undo / name, out / name)
        shutil.rmtree(undo, ignore_errors=True)
        raise
    shutil.rmtree(undo, ignore_errors=True)


def write_run(model, out_dir: Path, wall_time: float, plot=None,
              while_plotting=None) -> dict:
    """Write timeseries.csv, regions.csv, summary.json (and plots/overview.png if ``plot``)
    for a finished model into ``out_dir`` (normally a staging folder). Returns the summary.

    ``plot`` is a plotter (``analysis.plot_process``) whose ``submit(ts, title, path)``
    draws the overview, or has another process draw it while the other files are written,
    and returns a function that waits for it (and raises if it failed).
    ``while_plotting(summary)``, if given, is called once the other files are written and
    before that wait: work the caller would otherwise do after it (the command line
    prepares its summary table there)."""
    ts = model.metrics_frame()
    plot_done = None
    if plot is not None:
        (out_dir / "plots").mkdir(exist_ok=True)
        plot_done = plot.submit(ts, plot_title(model.config), out_dir / "plots" / "overview.png")
    ts.to_csv(out_dir / "timeseries.csv", index=False, float_format=FLOAT_FORMAT)
    model.regions_frame().to_csv(out_dir / "regions.csv", index=False, float_format=FLOAT_FORMAT)
    summary = summarize(model, ts, wall_time)
    (out_dir / "summary.json").write_text(json.dumps(summary, indent=2) + "\n")
    from .provenance import RESOLVED, write_resolved

    write_resolved(model.config, out_dir / RESOLVED)
    if while_plotting is not None:
        while_plotting(summary)
    if plot_done is not None:
        plot_done()
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
