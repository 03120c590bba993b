"""Run many simulations on Dask and stream their results to a :class:`~analysis.store.RunStore`.

A batch is a list of :class:`Task`: a base scenario (by name), overrides, a seed and a
number of weeks, plus label columns (``scenario``, ``replicate``, ``sample``...) that identify
the run in the results. :func:`run_tasks` sends the tasks that are not yet done to Dask workers
and writes each result as it arrives; the comparison of scenarios (:mod:`analysis.comparison`)
and the sensitivity analysis both build their tasks and hand them here.

How a batch runs:

1. Connect: a ``LocalCluster`` of ``workers`` single-threaded worker processes on this machine
   (the default), or an existing scheduler at ``scheduler`` (``tcp://host:8786``), or a
   ``distributed.Client`` the caller already holds.
2. Warm up: every worker, when it joins, builds and steps a two-week model once, so the Numba
   kernels are compiled (or loaded from the on-disk cache) once per worker, not once per run.
3. Submit a sliding window of tasks (twice the worker threads): memory on the client and the
   cluster holds only the runs in flight, however long the batch.
4. Each task unpickles its base scenario, applies overrides, seed and weeks, runs the model
   and encodes the weekly metrics as a parquet file (bytes) on the worker. The client writes the
   bytes atomically and records the run in the manifest.
5. A task that raises, or whose worker dies more often than Dask allows, is recorded as failed;
   the rest go on. Ctrl-C cancels what is in flight and leaves every finished run stored.

Results do not depend on the number of workers or the order of completion: a run's file is a
function of its task alone, and its name is the task key.
"""

from __future__ import annotations

import contextlib
import dataclasses
import io
import os
import pickle
import platform
import re
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

import numpy as np

from sim.errors import ScenarioError

from .cluster import check_workers, engine_fingerprint, one_line, open_client, worker_address
from .store import DONE, RunStore, now_iso

KEY_PATTERN = re.compile(r"^[A-Za-z0-9_.=-]{1,120}$")
SEED_LIMIT = 2**63  # scenario seeds are int64-sized


@dataclass(frozen=True)
class Task:
    """One simulation run.

    Attributes:
        key: stable, unique name of the run (letters, digits, ``_.=-``); names its result file.
        base: name of the base in the ``bases`` mapping given to :func:`run_tasks`: a
            ``sim.Scenario``, or an object with ``evaluate(overrides, seed, weeks)`` returning
            a frame with a ``week`` column (for test models with known answers).
        seed: the run's seed (0 <= seed < 2**63).
        weeks: weeks to simulate.
        labels: columns written before ``seed`` and ``week`` in every row of the run's results,
            e.g. ``{"scenario": "baseline", "replicate": 3}``.
        overrides: scenario fields by dotted path (``{"params.enforcement.arrest_rate":
            0.004, "interventions.kingpin.budget": 2e7}``), applied on the worker with
            ``Scenario.with_overrides`` (revalidated): a sensitivity sample is a task with
            overrides. A run whose overrides are invalid is recorded as failed.
    """

    key: str
    base: str
    seed: int
    weeks: int
    labels: dict[str, Any] = field(default_factory=dict)
    overrides: dict[str, Any] = field(default_factory=dict)

    def record(self) -> dict[str, Any]:
        """The task as stored in the manifest."""
        return {"key": self.key, "labels": self.labels, "seed": self.seed, "weeks": self.weeks,
                "base": self.base, "overrides": self.overrides}


class Progress(Protocol):
    """What :func:`run_tasks` reports to: a progress bar, a log, a test's interrupter."""

    def start(self, total: int, done: int) -> None: ...
    def update(self, done: int, failed: int) -> None: ...
    def stop(self) -> None: ...


# ---------------------------------------------------------------------------- seeds, versions
def replicate_seeds(root: int, n: int, group: int | None = None) -> list[int]:
    """Seeds of replicates ``0..n-1`` drawn from ``numpy.random.SeedSequence(root)``.

    Replicate ``r`` gets the seed of the child ``spawn_key=(r,)`` whatever ``n`` is, so it is
    the same in every scenario of a comparison (common random numbers) and adding replicates
    keeps the earlier ones. ``group`` gives a separate family of seeds (``spawn_key=(group,
    r)``) for designs that want independent streams per scenario.
    """
    if not 0 <= root < SEED_LIMIT:
        raise ScenarioError(f"--seed: {root}: expected 0 <= seed < 2**63")
    base = np.random.SeedSequence(root)
    if group is not None:
        base = np.random.SeedSequence(root, spawn_key=(group,))
    out = []
    for child in base.spawn(n):
        out.append(int(child.generate_state(1, dtype=np.uint64)[0] >> np.uint64(1)))
    return out


def versions() -> dict[str, str]:
    """Versions that results depend on (``tocsim`` and ``engine`` must match to resume), and
    the git commit of the source tree (``abc1234``, ``+dirty`` with uncommitted changes,
    ``unknown`` outside git)."""
    import dask
    import distributed
    import numba
    import pandas
    import pyarrow

    import sim
    from sim.provenance import git_commit

    return {"tocsim": sim.__version__, "engine": engine_fingerprint(), "git_commit": git_commit(),
            "python": platform.python_version(), "numpy": np.__version__,
            "numba": numba.__version__, "pandas": pandas.__version__,
            "pyarrow": pyarrow.__version__, "dask": dask.__version__,
            "distributed": distributed.__version__}


# ---------------------------------------------------------------------------- on the worker
def encode_run(frame, labels: dict[str, Any], seed: int) -> bytes:
    """The weekly metrics of one run as parquet bytes: label columns, ``seed``, ``week``, then
    the metrics. Counts (``sim.metrics.is_count``: persons, organizations, events) are
    integers, the rest floats; every column carries its ``unit`` and ``definition`` as field
    metadata (``pyarrow.parquet.read_schema(f).field("homicides").metadata``). Deterministic:
    the same frame gives the same bytes."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    from sim.metrics import is_count

    n = len(frame)
    cols: dict[str, Any] = {}
    for name, value in labels.items():
        if isinstance(value, str):
            cols[name] = pa.array([value] * n, pa.string())
        elif isinstance(value, bool | np.bool_):
            cols[name] = pa.array(np.full(n, bool(value)))
        elif isinstance(value, int | np.integer):
            cols[name] = pa.array(np.full(n, value, dtype=np.int64))
        else:
            cols[name] = pa.array(np.full(n, value, dtype=np.float64))
    cols["seed"] = pa.array(np.full(n, seed, dtype=np.int64))
    cols["week"] = pa.array(frame["week"].to_numpy(dtype=np.int32))
    for c in frame.columns:
        if c == "week":
            continue
        v = frame[c].to_numpy(dtype=np.float64)
        cols[c] = pa.array(_as_count(c, v) if is_count(c) else v)
    schema = pa.schema([_field(name, arr.type) for name, arr in cols.items()])
    buf = io.BytesIO()
    pq.write_table(pa.table(cols, schema=schema), buf, compression="zstd")
    return buf.getvalue()


def _as_count(name: str, v: np.ndarray) -> np.ndarray:
    """A count metric as int64; a value that is not a whole number is a model error."""
    whole = np.isfinite(v) & (v == np.round(v))
    if not whole.all():
        bad = v[~whole][0]
        raise ValueError(f"metric {name} counts whole things but has the value {bad!r}")
    return v.astype(np.int64)


def _field(name: str, type_):
    import pyarrow as pa

    from sim.metrics import column_info

    info = column_info(name)
    meta = {"unit": info[0], "definition": info[1]} if info else None
    return pa.field(name, type_, metadata=meta)


def execute(base: bytes, overrides: dict, seed: int, weeks: int,
            labels: dict) -> tuple[bytes, dict[str, Any]]:
    """Run one task on a worker; return the parquet bytes and timings: ``wall_s`` (the whole
    task), ``model_s`` (building and running the model) and the ``worker``'s address.

    ``base`` is a pickled ``sim.Scenario``, or any object with ``evaluate(overrides, seed,
    weeks)`` returning a frame with a ``week`` column (a test model with known answers).
    """
    t0 = time.perf_counter()
    obj = pickle.loads(base)  # a fresh copy per run: nothing leaks from one run to the next
    t1 = time.perf_counter()
    if hasattr(obj, "evaluate"):
        frame = obj.evaluate(overrides, seed, weeks)
    else:
        frame = simulate(obj, overrides, seed, weeks)
    t2 = time.perf_counter()
    data = encode_run(frame, labels, seed)
    return data, {"wall_s": round(time.perf_counter() - t0, 4), "model_s": round(t2 - t1, 4),
                  "worker": worker_address()}


def simulate(scn, overrides: dict, seed: int, weeks: int):
    """The weekly metrics of ``scn`` with dotted-path ``overrides`` (``Scenario.with_overrides``:
    revalidated), ``seed`` and ``weeks``, conservation checks off."""
    from sim.model import TocModel

    if overrides:
        scn = scn.with_overrides(overrides)
    scn = dataclasses.replace(scn, seed=seed, weeks=weeks,
                              raw={**scn.raw, "seed": seed, "weeks": weeks})
    return TocModel(scn, checks=False).run().metrics_frame()


def check_tasks(tasks: Sequence[Task], bases: dict[str, Any]) -> None:
    """Refuse duplicate or unsafe keys, unknown bases and out-of-range seeds."""
    lines, seen = [], set()
    for t in tasks:
        if not KEY_PATTERN.match(t.key):
            lines.append(f"task {t.key!r}: key must be 1-120 of A-Z a-z 0-9 _ . = -")
        if t.key in seen:
            lines.append(f"task {t.key!r}: duplicate key")
        seen.add(t.key)
        if t.base not in bases:
            lines.append(f"task {t.key!r}: unknown base scenario {t.base!r}")
        if not 0 <= t.seed < SEED_LIMIT:
            lines.append(f"task {t.key!r}: seed {t.seed} out of range [0, 2**63)")
        if t.weeks < 1:
            lines.append(f"task {t.key!r}: weeks must be >= 1")
    if lines:
        raise ScenarioError(lines)


def run_tasks(
    tasks: Sequence[Task],
    bases: dict[str, Any],
    store: RunStore,
    *,
    workers: int | None = None,
    scheduler: str | None = None,
    client=None,
    connect_timeout: float = 10.0,
    progress: Progress | None = None,
) -> dict[str, Any]:
    """Run the tasks of ``tasks`` not yet done in ``store`` (already opened) and store each.

    Args:
        tasks: every task of the batch (done ones are skipped).
        bases: base scenarios (``sim.Scenario``, or test models) by the names tasks use.
        store: the opened :class:`~analysis.store.RunStore`.
        workers: worker processes of the LocalCluster (default: CPU count, at most the runs).
        scheduler: address of an existing Dask scheduler instead of a LocalCluster.
        client: a ``distributed.Client`` to use instead of either.
        connect_timeout: seconds to wait for the scheduler and its first worker.
        progress: receives start/update/stop.

    Returns:
        The session record added to the manifest (status ``complete``, ``failed`` or
        ``interrupted``, counts, wall time, workers).

    Raises:
        ScenarioError: bad tasks, an unreachable scheduler, workers on another engine.
        KeyboardInterrupt: after cancelling what was in flight and saving the manifest.
    """
    check_tasks(tasks, bases)
    states = {r["key"]: r["state"] for r in store.run_records()}
    todo = [t for t in tasks if states.get(t.key) != DONE]
    session: dict[str, Any] = {"started": now_iso(), "status": "running",
                               "runs_todo": len(todo), "runs_done": 0, "runs_failed": 0}
    store.add_session(session)  # the manifest now says a session is running
    t0 = time.perf_counter()
    try:
        if todo:
            _run(todo, len(tasks), bases, store, session, workers, scheduler, client,
                 connect_timeout, progress)
        else:
            session["cluster"] = "none (nothing to run)"
        session["status"] = "failed" if session["runs_failed"] else "complete"
    except ScenarioError:
        if store.discard_if_new():  # bad input: leave no trace of a batch that never ran
            raise
        session["status"] = "error"
        raise
    except BaseException as exc:
        session["status"] = "interrupted" if isinstance(exc, KeyboardInterrupt) else "error"
        raise
    finally:
        if store.manifest_path.exists():
            session.update(ended=now_iso(), wall_s=round(time.perf_counter() - t0, 3))
            store.flush(force=True)
    return session


def _run(todo, total, bases, store, session, workers, scheduler, client, connect_timeout,
         progress) -> None:
    t0 = time.perf_counter()
    payload = {name: pickle.dumps(scn) for name, scn in bases.items()}
    n_workers = workers or min(os.cpu_count() or 1, len(todo))
    if progress is not None:
        progress.start(total, total - len(todo))
    try:
        with open_client(n_workers, scheduler, client, connect_timeout) as (c, where):
            session["cluster"] = where
            info = check_workers(c, where)
            session["workers"] = {a: i["warmup_s"] for a, i in sorted(info.items())}
            session["startup_s"] = round(time.perf_counter() - t0, 3)
            if progress is not None:
                progress.update(total - len(todo), 0)  # the workers are ready
            _stream(c, todo, payload, store, session, progress, total - len(todo))
    finally:
        if progress is not None:
            progress.stop()


def _stream(c, todo, payload, store, session, progress, already) -> None:
    from distributed import as_completed

    window = max(4, 2 * sum(c.nthreads().values()))
    token = os.urandom(4).hex()
    pending = iter(todo)
    inflight: dict[str, Task] = {}
    ac = as_completed(loop=c.loop)

    def submit_next() -> None:
        t = next(pending, None)
        if t is None:
            return
        fut = c.submit(execute, payload[t.base], t.overrides, t.seed, t.weeks, t.labels,
                       key=f"tocsim-{t.key}-{token}", pure=False)
        inflight[fut.key] = t
        ac.add(fut)

    for _ in range(window):
        submit_next()
    try:
        for fut in ac:
            t = inflight.pop(fut.key)
            if fut.status == "finished":
                data, info = fut.result()
                store.write_run(t.key, data, **info)
                session["runs_done"] += 1
            else:
                exc = fut.exception()
                store.mark_failed(t.key, f"{type(exc).__name__}: {one_line(exc)}")
                session["runs_failed"] += 1
            fut.release()
            submit_next()
            if progress is not None:
                progress.update(already + session["runs_done"], session["runs_failed"])
    finally:
        if inflight:
            with contextlib.suppress(Exception):
                c.cancel([f for f in ac.futures], force=True)
        store.flush(force=True)



# ---------------------------------------------------------------------------- progress bar
class RichProgress:
    """A progress bar on stderr: runs done of total, failures, elapsed time and ETA."""

    def __init__(self, label: str = "runs", enabled: bool | None = None):
        self.label = label
        self.enabled = sys.stderr.isatty() if enabled is None else enabled
        self.bar = None

    def start(self, total: int, done: int) -> None:
        if not self.enabled:
            return
        from rich.console import Console
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            Progress,
            TextColumn,
            TimeElapsedColumn,
            TimeRemainingColumn,
        )

        self.bar = Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                            TextColumn("{task.fields[failed]}"), TimeElapsedColumn(),
                            TextColumn("ETA"), TimeRemainingColumn(),
                            console=Console(stderr=True), transient=False)
        self.task = self.bar.add_task("starting workers", total=total, completed=done,
                                      failed="")
        self.bar.start()

    def update(self, done: int, failed: int) -> None:
        if self.bar is not None:
            self.bar.update(self.task, completed=done, description=self.label,
                            failed=f"[red]{failed} failed[/red]" if failed else "")

    def stop(self) -> None:
        if self.bar is not None:
            self.bar.stop()
            self.bar = None
