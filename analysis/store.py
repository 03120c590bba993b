"""A folder of runs: one parquet file per finished run, and a manifest of inputs and states.

Layout of an output folder ``DIR``::

    DIR/manifest.json                  inputs, seeds, versions and the state of every run
    DIR/runs.parquet/part-<key>.parquet  one file per finished run (a parquet dataset)

``DIR/runs.parquet`` is a directory that pandas, pyarrow, polars, DuckDB and R's arrow read as
one table (``pd.read_parquet("DIR/runs.parquet")``). A run's file is written under a hidden
temporary name and renamed into place, so it is either complete or absent, whatever kills the
process: the files, not the manifest, say which runs are done. The manifest is rewritten
atomically, at most every ``MANIFEST_INTERVAL_S`` seconds while runs stream in and once at the
end; on resume it is reconciled with the files.

This module knows nothing of scenarios or statistics; :mod:`analysis.runner` fills it and
:mod:`analysis.comparison` (and the sensitivity analysis) read it.
"""

from __future__ import annotations

import datetime as _dt
import json
import time
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from sim.errors import ScenarioError
from sim.output import FILE_MODE, make_folder, write_atomic  # noqa: F401 (re-exported: analysis uses them)

FORMAT = "tocsim-runs/1"
MANIFEST = "manifest.json"
PARTS = "runs.parquet"
MANIFEST_INTERVAL_S = 2.0
CHUNK_FILES = 32  # runs read at once by the analyses (memory is bounded by a chunk)

# Run states in the manifest.
PENDING, DONE, FAILED = "pending", "done", "failed"


def now_iso() -> str:
    return _dt.datetime.now(_dt.UTC).isoformat(timespec="seconds")


class RunStore:
    """The runs of one batch in folder ``out``: part files plus ``manifest.json``.

    Use :meth:`open` to start or resume a batch; then :meth:`write_run` for each finished run,
    :meth:`mark_failed` for failures and :meth:`flush` to save the manifest.
    """

    def __init__(self, out: str | Path):
        self.out = Path(out)
        self.parts = self.out / PARTS
        self.manifest_path = self.out / MANIFEST
        self.manifest: dict[str, Any] = {}
        self._runs: dict[str, dict[str, Any]] = {}
        self._last_flush = 0.0
        self._created: list[Path] = []  # what open() created, for discard_if_new

    # ------------------------------------------------------------------ opening
    def read_manifest(self) -> dict[str, Any] | None:
        """The stored manifest, or None if the folder holds none."""
        if not self.manifest_path.is_file():
            return None
        try:
            return json.loads(self.manifest_path.read_text())
        except (OSError, json.JSONDecodeError) as exc:
            raise ScenarioError(f"{self.manifest_path}: unreadable manifest: {exc}") from None

    def open(
        self,
        *,
        kind: str,
        inputs: dict[str, Any],
        versions: dict[str, Any],
        runs: list[dict[str, Any]],
        resume: bool,
        settings: dict[str, Any] | None = None,
        grow: tuple[str, ...] = (),
    ) -> set[str]:
        """Start a batch, or resume the one stored here; return the keys already done.

        ``inputs`` is everything that determines the results (it must match on resume);
        ``runs`` lists every run with at least ``key`` and ``seed``. Raises
        :class:`ScenarioError` if the folder holds another batch and ``resume`` is false, or
        if ``resume`` is true and the stored inputs, runs or versions differ from these.
        ``grow`` names inputs that may differ on resume (``replicates``, when ``--target-ci``
        adds replicates): the stored runs must then be a subset of ``runs``, same seeds.
        """
        old = self.read_manifest()
        if old is not None and not resume:
            raise ScenarioError(
                f"{self.out}: holds an earlier batch ({MANIFEST}); pass --resume to finish it, "
                "or choose another --out"
            )
        if old is not None:
            self._check_same(old, kind, inputs, versions, runs, grow)
        self._created = [p for p in (self.out, self.parts, self.manifest_path) if not p.exists()]
        make_folder(self.out)  # a file in the way: one line, not an OSError
        self.parts.mkdir(exist_ok=True)
        self._clean_temporaries()
        done = self.done_keys()
        previous = {r["key"]: r for r in (old or {}).get("runs", [])}
        self._runs = {}
        for run in runs:
            rec = dict(previous.get(run["key"], {}))
            rec.update(run)
            if run["key"] in done:
                rec["state"] = DONE
            else:
                rec["state"] = PENDING
                for k in ("wall_s", "model_s", "worker", "error", "finished"):
                    rec.pop(k, None)
            self._runs[run["key"]] = rec
        stray = done - set(self._runs)
        if stray:
            raise ScenarioError(f"{self.parts}: {len(stray)} run files belong to no run of this "
                                f"batch (e.g. {sorted(stray)[0]}); choose another --out")
        self.manifest = {
            "format": FORMAT,
            "kind": kind,
            "created": (old or {}).get("created", now_iso()),
            "updated": now_iso(),
            "inputs": inputs,
            "versions": versions,
            "settings": settings or {},
            "sessions": [_ended(x) for x in (old or {}).get("sessions", [])],
            "runs": [],
        }
        self.flush(force=True)
        return done

    def discard_if_new(self) -> bool:
        """Undo :meth:`open` if it started this batch and no run is stored yet (so that a
        rerun after fixing bad input does not need --resume). Returns whether it did."""
        if self.manifest_path not in self._created or self.done_keys():
            return False
        for p in reversed(self._created):
            if p.is_dir():
                try:
                    p.rmdir()
                except OSError:  # someone put files there: keep it
                    pass
            else:
                p.unlink(missing_ok=True)
        self._created = []
        return True

    def _check_same(self, old, kind, inputs, versions, runs, grow=()) -> None:
        where = str(self.manifest_path)
        if old.get("format") != FORMAT or old.get("kind") != kind:
            raise ScenarioError(f"{where}: holds a {old.get('kind')!r} batch "
                                f"({old.get('format')}), not {kind!r}; choose another --out")
        lines = []
        stored = old.get("inputs", {})
        for key in sorted(set(stored) | set(inputs)):
            a, b = stored.get(key), _jsonable(inputs.get(key))
            if a != b and key not in grow:
                lines.append(f"{where}: inputs.{key}: stored {_short(a)}, now {_short(b)}")
        for key in ("tocsim", "engine"):
            a, b = old.get("versions", {}).get(key), versions.get(key)
            if a != b:
                lines.append(f"{where}: versions.{key}: stored {a}, now {b} (results would mix "
                             "two versions of the model)")
        if not lines:
            was = {r["key"]: r.get("seed") for r in old.get("runs", [])}
            now = {r["key"]: r.get("seed") for r in runs}
            if grow and all(k in now and now[k] == v for k, v in was.items()):
                now = was
            if was != now:
                lines.append(f"{where}: runs: the stored runs or their seeds differ from this "
                             "command's")
        if lines:
            lines.append(f"{where}: cannot resume a different batch: rerun with the original "
                         "inputs, or without --resume into another --out")
            raise ScenarioError(lines)

    def _clean_temporaries(self) -> None:
        """Remove half-written files left by a killed process."""
        for folder in (self.out, self.parts):
            for p in folder.glob(".*.tmp"):
                p.unlink(missing_ok=True)

    # ------------------------------------------------------------------ runs
    def part_path(self, key: str) -> Path:
        return self.parts / f"part-{key}.parquet"

    def done_keys(self) -> set[str]:
        """Keys of runs whose file is in place."""
        if not self.parts.is_dir():
            return set()
        return {p.name[5:-8] for p in self.parts.glob("part-*.parquet")}

    def write_run(self, key: str, data: bytes, **info: Any) -> None:
        """Store a finished run (its parquet file's bytes) and mark it done."""
        write_atomic(self.part_path(key), data)
        self._runs[key].update(info, state=DONE, finished=now_iso())
        self._runs[key].pop("error", None)
        self.flush()

    def mark_failed(self, key: str, error: str, **info: Any) -> None:
        self._runs[key].update(info, state=FAILED, error=error, finished=now_iso())
        self.flush()

    def run_records(self) -> list[dict[str, Any]]:
        return list(self._runs.values())

    def counts(self) -> dict[str, int]:
        out = {PENDING: 0, DONE: 0, FAILED: 0}
        for r in self._runs.values():
            out[r["state"]] += 1
        return out

    def add_session(self, session: dict[str, Any]) -> None:
        """Record a session (a dict the caller keeps updating) and save the manifest."""
        self.manifest["sessions"].append(session)
        self.flush(force=True)

    def flush(self, force: bool = False) -> None:
        """Save the manifest (throttled unless ``force``)."""
        t = time.monotonic()
        if not force and t - self._last_flush < MANIFEST_INTERVAL_S:
            return
        self.manifest["updated"] = now_iso()
        self.manifest["runs"] = self.run_records()
        text = json.dumps(_jsonable(self.manifest), indent=1, sort_keys=False) + "\n"
        write_atomic(self.manifest_path, text.encode())
        self._last_flush = t

    # ------------------------------------------------------------------ reading
    def read_chunks(self, keys: Iterable[str], columns: list[str] | None = None,
                    files: int | None = None):
        """The runs ``keys`` as ``pyarrow.Table`` chunks of ``files`` runs each, read in
        parallel within a chunk. Memory holds one chunk (a dataset over thousands of files
        would keep every file's metadata until it is dropped)."""
        keys = sorted(keys)
        files = files or CHUNK_FILES
        for i in range(0, len(keys), files):
            yield self.dataset(keys[i:i + files]).to_table(columns=columns)

    def schema_names(self, key: str) -> list[str]:
        """Column names of a stored run."""
        import pyarrow.parquet as pq

        return list(pq.read_schema(self.part_path(key)).names)

    def dataset(self, keys: Iterable[str] | None = None):
        """A ``pyarrow.dataset`` over the stored runs (all, or the runs ``keys``)."""
        import pyarrow.dataset as ds

        if keys is None:
            return ds.dataset(self.parts, format="parquet")
        return ds.dataset([str(self.part_path(k)) for k in sorted(keys)], format="parquet")


def _ended(session: dict[str, Any]) -> dict[str, Any]:
    """A session still marked running was killed (kill -9, power loss) before it could say."""
    if session.get("status") == "running":
        return {**session, "status": "killed"}
    return session


def _jsonable(x):
    return json.loads(json.dumps(x, default=str))


def _short(x, n: int = 120) -> str:
    s = json.dumps(x, sort_keys=True, default=str)
    return s if len(s) <= n else s[: n - 3] + "..."
