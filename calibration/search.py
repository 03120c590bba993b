"""``tocsim calibrate``: fit declared parameters to observed series.

Stages, each stored under ``DIR`` so that ``--resume`` continues after Ctrl-C or ``kill -9``
without repeating a finished run or trial:

1. **Search** (``DIR/optuna.sqlite3``, runs in ``DIR/runs/search-bNNNN/``): Optuna's TPE asks
   for a batch of trials at a time (``search.batch``, fixed by the targets file, so results do
   not depend on the number of workers; the sampler of batch ``b`` is seeded from ``(seed,
   b)``, so a resumed search asks what an uninterrupted one would). Every trial runs
   ``replicates`` times on the same seeds (common random numbers; seeds are never a search
   dimension) on the Dask runner of ``compare`` (:func:`analysis.runner.run_tasks`); its value
   is minus the summed log-likelihood of the fitted years (:mod:`calibration.likelihood`).
   A trial whose runs were stored but not told (a killed session) is told on resume.
2. **Re-scoring** (``DIR/runs/rescore/``): the best ``rescore_top`` trials rerun on fresh seeds
   (``rescore_replicates``); the best of them is the point estimate.
3. **Posterior** (``DIR/runs/posterior-*/``): adaptive importance sampling, then resampling.
   Round 0's proposal is a normal in the unit cube of the search, fitted to the best
   ``top_share`` of trials (sd times ``inflate``, truncated to the bounds); each later round's
   is fitted to the weighted draws so far. Every draw runs on the search seeds; weights are
   likelihood x prior / (the mixture of the rounds' proposals), the prior uniform (or
   log-uniform for log parameters) within the bounds; ``samples`` draws are resampled. Every
   fitted value gets an interval; the effective sample size says how far to trust it.
``--method abc`` replaces stages 1 and 3 by ABC-SMC (:mod:`calibration.abc`, the targets
file's ``abc:`` block, history in ``DIR/abc.db``): the same likelihood, prior and seeds; then
stages 2 and 4 as here.

4. **Outputs**: ``calibrated.yaml``, ``posterior.parquet`` (resampled), ``draws.parquet``
   (weighted), ``trials.csv``, ``parameters.csv``, ``gof.csv``, ``plots/`` and ``report.html``.
"""

from __future__ import annotations

import datetime as _dt
import json
import math
import os
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from sim.errors import ScenarioError
from sim.output import make_folder

from . import likelihood as L
from .targets import Targets, from_unit, load_targets, to_unit

STATE = "calibration.json"
STUDY = "search"
FORMAT = "tocsim-calibration/1"


@dataclass
class Calibration:
    """What a calibration produced (also written under ``out``)."""

    targets: Targets
    out: Path
    trials: pd.DataFrame
    rescored: pd.DataFrame
    draws: pd.DataFrame
    posterior: pd.DataFrame
    parameters: pd.DataFrame
    gof: pd.DataFrame
    bands: dict[str, dict[str, np.ndarray]]
    warnings: list[str]
    provenance: dict[str, Any]
    timings: dict[str, float] = field(default_factory=dict)


# ---------------------------------------------------------------------------- helpers
def _seed(*parts: int) -> int:
    state = np.random.SeedSequence(list(parts)).generate_state(1, dtype=np.uint64)
    return int(state[0] >> np.uint64(1))


def _digest(*objs) -> str:
    """A short name for a stage's inputs (its run folder changes when they do)."""
    import hashlib

    blob = json.dumps(objs, sort_keys=True, default=str).encode()
    return hashlib.sha256(blob).hexdigest()[:10]


def _code_version() -> str:
    import subprocess

    import sim

    root = Path(__file__).resolve().parent.parent
    try:
        rev = subprocess.run(["git", "-C", str(root), "describe", "--always", "--dirty"],
                             capture_output=True, text=True, timeout=10).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        rev = ""
    return f"tocsim {sim.__version__}" + (f" ({rev})" if rev else "")


class _Runner:
    """Runs task batches on one Dask client, opened on first use and kept for the stages."""

    def __init__(self, workers, scheduler, client, connect_timeout, log):
        self.workers, self.scheduler, self.client = workers, scheduler, client
        self.connect_timeout = connect_timeout
        self.log = log
        self._ctx = None
        self.versions = None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        if self._ctx is not None:
            self._ctx.__exit__(*exc)
        return False

    def _connect(self):
        if self.client is None:
            from analysis.cluster import open_client

            self._ctx = open_client(self.workers or 2, self.scheduler, None,
                                    self.connect_timeout)
            self.client, where = self._ctx.__enter__()
            self.log(f"dask: {where}")
        return self.client

    def run(self, folder: Path, tasks, bases, kind_inputs: dict) -> dict[str, pd.DataFrame]:
        """Run ``tasks`` into the store at ``folder`` (resuming it if it exists); return each
        finished run's frame by key."""
        from analysis.runner import run_tasks, versions
        from analysis.store import DONE, RunStore

        if self.versions is None:
            self.versions = versions()
        store = RunStore(folder)
        store.open(kind="calibration", inputs=kind_inputs, versions=self.versions,
                   runs=[t.record() for t in tasks], resume=store.manifest_path.exists())
        if store.done_keys() != {t.key for t in tasks}:
            run_tasks(tasks, bases, store, client=self._connect())
        done = {r["key"] for r in store.run_records() if r["state"] == DONE}
        out = {}
        for key in sorted(done):
            out[key] = pd.read_parquet(store.part_path(key))
        return out


def _tasks(prefix: str, params: dict[int, dict[str, float]], seeds: list[int], weeks: int,
           label: str):
    from analysis.runner import Task

    tasks = []
    for num, overrides in params.items():
        for r, seed in enumerate(seeds):
            tasks.append(Task(key=f"{prefix}{num:05d}-r{r:03d}", base="base", seed=seed,
                              weeks=weeks, labels={label: num, "replicate": r},
                              overrides=overrides))
    return tasks


def _replicate_values(targets: Targets, frames: dict[str, pd.DataFrame], prefix: str,
                      num: int, n_rep: int) -> dict[str, np.ndarray] | None:
    """Per target, the [R, T] yearly values of the runs of one parameter set (None if a run
    is missing: it failed)."""
    rows = []
    for r in range(n_rep):
        f = frames.get(f"{prefix}{num:05d}-r{r:03d}")
        if f is None:
            return None
        rows.append(f)
    return {s.name: np.vstack([L.yearly(f, targets, s) for f in rows]) for s in targets.series}


def _loglik(targets: Targets, values: dict[str, np.ndarray], part: str = "fit") -> float:
    total = 0.0
    for s in targets.series:
        mask = targets.fit_years(s)
        if part == "holdout":
            mask = ~mask if s.spec.fit else np.zeros(len(s.years), bool)
        total += L.loglik(values[s.name], s, mask)
    return total


# ---------------------------------------------------------------------------- entry point
def calibrate(targets_path: str | Path, *, trials: int | None = None,
              replicates: int | None = None, method: str = "optuna",
              out: str | Path = "out/calibration", resume: bool = False,
              workers: int | None = None, scheduler: str | None = None, client=None,
              connect_timeout: float = 20.0, log=None, plots: bool = True) -> Calibration:
    """Run a calibration (see the module docstring); raise ScenarioError on bad input."""
    if method not in ("optuna", "abc"):
        raise ScenarioError(f"--method: {method!r}: expected optuna or abc")
    if method == "abc" and trials is not None:
        raise ScenarioError("--trials: not used by --method abc (its budget is the targets "
                            "file's abc: population and generations)")
    if workers is not None and workers < 1:
        raise ScenarioError(f"--workers: {workers}: must be at least 1")
    log = log or (lambda msg: None)
    t_start = time.perf_counter()
    targets = load_targets(targets_path)
    spec = targets.spec
    n_trials = trials if trials is not None else spec.search.trials
    n_rep = replicates if replicates is not None else (
        spec.abc.replicates if method == "abc" and spec.abc.replicates else
        spec.search.replicates)
    if n_trials < 1:
        raise ScenarioError(f"--trials: {n_trials}: must be at least 1")
    if n_rep < 1:
        raise ScenarioError(f"--replicates: {n_rep}: must be at least 1")
    out = Path(out)
    inputs = {**targets.inputs(), "replicates": n_rep}
    if method == "abc":  # (optuna's inputs stay as they were, so its folders still resume)
        inputs["method"] = "abc"
    _open_state(out, inputs, resume)

    from analysis.runner import replicate_seeds
    from sim.scenario import load_scenario

    from .observe import ObservedScenario

    scn = load_scenario(targets.base_path)
    bases = {"base": ObservedScenario(scn, targets.org_names(), targets.region_metrics())}
    weeks = spec.spinup_weeks + targets.weeks
    seeds = replicate_seeds(spec.seed, n_rep)
    timings: dict[str, float] = {}
    abc_info = None
    with _Runner(workers, scheduler, client, connect_timeout, log) as runner:
        t0 = time.perf_counter()
        if method == "abc":
            from .abc import run_abc

            trials_df, draws, values, abc_info = run_abc(targets, out, runner, bases, seeds,
                                                         weeks, log)
            timings["abc_s"] = time.perf_counter() - t0
        else:
            study = _search(targets, out, runner, bases, seeds, weeks, n_trials, log)
            timings["search_s"] = time.perf_counter() - t0
            trials_df = _trials_frame(targets, study)
        t0 = time.perf_counter()
        rescored = _rescore(targets, out, runner, bases, weeks, trials_df, log)
        timings["rescore_s"] = time.perf_counter() - t0
        if method != "abc":
            t0 = time.perf_counter()
            draws, values = _posterior_draws(targets, out, runner, bases, seeds, weeks,
                                             trials_df, log)
            timings["posterior_s"] = time.perf_counter() - t0
    res = _summarise(targets, out, trials_df, rescored, draws, values, seeds, n_rep, scn,
                     abc_info)
    timings["total_s"] = time.perf_counter() - t_start
    res.timings = timings
    res.provenance["sessions"] = _add_session(out, timings, len(trials_df), workers,
                                              scheduler)
    _write(res, scn, plots)
    return res


def _add_session(out: Path, timings: dict, n_trials: int, workers, scheduler) -> list:
    """Record this command's wall time in calibration.json; return every session's."""
    from analysis.store import write_atomic

    path = out / STATE
    state = json.loads(path.read_text())
    state.setdefault("sessions", []).append({
        "ended": _dt.datetime.now(_dt.UTC).isoformat(timespec="seconds"),
        "trials_after": n_trials, "workers": scheduler or workers or 2,
        **{k: round(v, 1) for k, v in timings.items()}})
    write_atomic(path, (json.dumps(state, indent=1, default=str) + "\n").encode())
    return state["sessions"]


def _search_inputs(inputs: dict) -> dict:
    """What the stored search depends on: everything but the trial count, the re-scoring and
    posterior settings (those stages keep their runs in folders named by their inputs, so
    changing them on resume reruns only them)."""
    from pydantic import ValidationError

    from .targets import TargetsSpec

    out = json.loads(json.dumps(inputs, default=str))
    try:  # normalized: fields added since, at their defaults, do not count as a change
        out["targets"] = TargetsSpec.model_validate(out.get("targets", {})).model_dump(
            mode="json", exclude_defaults=True)
    except ValidationError:
        pass
    t = out.get("targets", {})
    t.pop("posterior", None)
    if out.get("method") != "abc":
        t.pop("abc", None)
    else:  # a cap: raising it changes no generation that finished
        t.get("abc", {}).pop("max_proposals", None)
    for k in ("trials", "rescore_top", "rescore_replicates"):
        t.get("search", {}).pop(k, None)
    return out


def _open_state(out: Path, inputs: dict, resume: bool) -> None:
    path = out / STATE
    if path.exists():
        if not resume:
            raise ScenarioError(f"{out}: holds an earlier calibration ({STATE}); pass --resume "
                                "to continue it, or choose another --out")
        old = json.loads(path.read_text())
        stored = _search_inputs(old.get("inputs", {}))
        now = _search_inputs(json.loads(json.dumps(inputs, default=str)))
        diff = [k for k in sorted(set(stored) | set(now)) if stored.get(k) != now.get(k)]
        if diff:
            raise ScenarioError([f"{path}: inputs.{k}: differ from this command's (the targets "
                                 "file, its data or --replicates changed)" for k in diff]
                                + [f"{path}: cannot resume a different calibration: rerun "
                                   "without --resume into another --out"])
        return
    make_folder(out)  # a file in the way: one line, not an OSError traceback
    text = json.dumps({"format": FORMAT, "inputs": inputs}, indent=1, default=str) + "\n"
    from analysis.store import write_atomic

    write_atomic(path, text.encode())


# ---------------------------------------------------------------------------- 1. search
def _sampler(seed: int, batch: int, startup: int):
    import optuna

    return optuna.samplers.TPESampler(seed=_seed(seed, 1, batch) % 2**32,
                                      n_startup_trials=startup, multivariate=True,
                                      constant_liar=True)


def _search(targets, out, runner, bases, seeds, weeks, n_trials, log):
    import optuna

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    spec = targets.spec
    storage = f"sqlite:///{(out / 'optuna.sqlite3').resolve()}"
    study = optuna.create_study(study_name=STUDY, storage=storage, direction="minimize",
                                load_if_exists=True)
    names = targets.names
    while True:
        all_trials = study.get_trials(deepcopy=False)
        finished = [t for t in all_trials if t.state.is_finished()]
        running = [t for t in all_trials if t.state == optuna.trial.TrialState.RUNNING]
        if running:  # a batch a killed session asked for: finish it
            b = min(int(t.user_attrs.get("batch", 0)) for t in running)
            batch_trials = [t for t in all_trials if int(t.user_attrs.get("batch", -1)) == b]
        else:
            if len(finished) >= n_trials:
                break
            b = 1 + max((int(t.user_attrs.get("batch", -1)) for t in all_trials), default=-1)
            study.sampler = _sampler(spec.seed, b, spec.search.startup_trials)
            size = min(spec.search.batch, n_trials - len(finished))
            asked = []
            for _ in range(size):
                tr = study.ask()
                for p, name in zip(spec.parameters, names, strict=True):
                    tr.suggest_float(name, p.low, p.high, log=p.prior == "log")
                tr.set_user_attr("batch", b)
                asked.append(tr)
            batch_trials = [study.get_trials(deepcopy=False)[t.number] for t in asked]
        params = {t.number: {p.path: float(t.params[n])
                             for p, n in zip(spec.parameters, names, strict=True)}
                  for t in batch_trials}
        tasks = _tasks("t", params, seeds, weeks, "trial")
        frames = runner.run(out / "runs" / f"search-b{b:04d}", tasks, bases,
                            {"stage": "search", "batch": b, "trials": params, "seeds": seeds})
        for t in batch_trials:
            if t.state.is_finished():
                continue
            values = _replicate_values(targets, frames, "t", t.number, len(seeds))
            if values is None:
                study.tell(t.number, state=optuna.trial.TrialState.FAIL)
                continue
            ll = _loglik(targets, values)
            study.tell(t.number, -ll if math.isfinite(ll) else float("inf"))
        done = [t for t in study.get_trials(deepcopy=False)
                if t.state == optuna.trial.TrialState.COMPLETE]
        best = min(done, key=lambda t: t.value) if done else None
        log(f"search: {len(done)}/{n_trials} trials; best log-likelihood "
            f"{-best.value:.2f}" if best else f"search: batch {b} failed")
    return study


def _trials_frame(targets, study) -> pd.DataFrame:
    import optuna

    rows = []
    for t in study.get_trials(deepcopy=False):
        if t.state != optuna.trial.TrialState.COMPLETE:
            continue
        row = {"trial": t.number, "batch": int(t.user_attrs.get("batch", 0)),
               "loglik": -t.value}
        row.update({n: t.params[n] for n in targets.names})
        rows.append(row)
    if not rows:
        raise ScenarioError(f"{targets.source}: every trial failed (see the manifests under "
                            "runs/search-*)")
    return pd.DataFrame(rows).sort_values("trial").reset_index(drop=True)


# ---------------------------------------------------------------------------- 2. re-scoring
def _rescore(targets, out, runner, bases, weeks, trials_df, log) -> pd.DataFrame:
    from analysis.runner import replicate_seeds

    spec = targets.spec
    k = min(spec.search.rescore_top, len(trials_df))
    top = trials_df.sort_values(["loglik", "trial"], ascending=[False, True]).head(k)
    fresh = replicate_seeds(spec.seed, spec.search.rescore_replicates, group=1)
    params = {int(r.trial): {p.path: float(getattr(r, n))
                             for p, n in zip(spec.parameters, targets.names, strict=True)}
              for r in top.itertuples()}
    frames = runner.run(out / "runs" / f"rescore-{_digest(params, fresh)}",
                        _tasks("k", params, fresh, weeks, "trial"),
                        bases, {"stage": "rescore", "trials": params, "seeds": fresh})
    rows = []
    for r in top.itertuples():
        values = _replicate_values(targets, frames, "k", int(r.trial), len(fresh))
        ll = _loglik(targets, values) if values is not None else float("-inf")
        rows.append({"trial": int(r.trial), "loglik_search": r.loglik, "loglik_rescored": ll,
                     **{n: getattr(r, n) for n in targets.names}})
    res = pd.DataFrame(rows).sort_values(["loglik_rescored", "trial"], ascending=[False, True])
    log(f"rescore: best trial {int(res.iloc[0].trial)}, log-likelihood "
        f"{res.iloc[0].loglik_rescored:.2f} on {len(fresh)} fresh seeds")
    return res.reset_index(drop=True)


# ---------------------------------------------------------------------------- 3. posterior
def _unit(targets, df) -> np.ndarray:
    return np.column_stack([[to_unit(p, float(v)) for v in df[n]]
                            for p, n in zip(targets.spec.parameters, targets.names,
                                            strict=True)])


def proposal(targets: Targets, trials_df: pd.DataFrame):
    """Mean and covariance (unit cube) of the posterior's proposal: a normal fitted to the best
    ``top_share`` of the trials (at least d + 2 of them), its sd times ``inflate``."""
    ps = targets.spec.posterior
    d = len(targets.names)
    n = max(d + 2, int(math.ceil(ps.top_share * len(trials_df))))
    top = trials_df.sort_values(["loglik", "trial"], ascending=[False, True]).head(n)
    u = _unit(targets, top)
    mean = u.mean(axis=0)
    cov = np.atleast_2d(np.cov(u.T)) if len(u) > 1 else np.eye(d) * 0.01
    cov = cov + np.eye(d) * 1e-4  # never degenerate: at least sd 0.01 of the range
    return mean, cov * ps.inflate ** 2


class TruncatedNormal:
    """N(mean, cov) restricted to the unit cube: draws by rejection, and the log density
    (normalized by a Monte Carlo estimate, from 200,000 draws, of the cube's probability)."""

    def __init__(self, mean, cov, rng):
        from scipy.stats import multivariate_normal

        self.mean, self.cov = np.asarray(mean, float), np.asarray(cov, float)
        self.mvn = multivariate_normal(self.mean, self.cov)
        probe = rng.multivariate_normal(self.mean, self.cov, size=200_000)
        self.inside = float(np.all((probe >= 0) & (probe <= 1), axis=1).mean())
        if self.inside < 1e-4:
            raise ScenarioError("posterior: the proposal lies outside the bounds (the fit "
                                "sits at a corner): widen the bounds")

    def draw(self, n, rng) -> np.ndarray:
        out = np.empty((0, len(self.mean)))
        while len(out) < n:
            x = rng.multivariate_normal(self.mean, self.cov, size=4 * n)
            out = np.vstack([out, x[np.all((x >= 0) & (x <= 1), axis=1)]])
        return out[:n]

    def logpdf(self, u) -> np.ndarray:
        inside = np.all((u >= 0) & (u <= 1), axis=1)
        return np.where(inside, np.atleast_1d(self.mvn.logpdf(u)) - math.log(self.inside),
                        -np.inf)


def _log_prior_unit(u: np.ndarray) -> np.ndarray:
    """The prior is uniform on the unit cube (log-uniform or uniform in each parameter)."""
    return np.where(np.all((u >= 0) & (u <= 1), axis=1), 0.0, -np.inf)


def _mixture_weights(u, ll, proposals, sizes) -> np.ndarray:
    """Importance weights of all draws so far against the mixture of the rounds' proposals
    (the balance heuristic of multiple importance sampling, as in adaptive multiple
    importance sampling): w = L x prior / sum_k (n_k / N) q_k."""
    n = sum(sizes)
    logq = np.logaddexp.reduce(np.vstack([q.logpdf(u) + math.log(k / n)
                                          for q, k in zip(proposals, sizes, strict=True)]),
                               axis=0)
    logw = ll + _log_prior_unit(u) - logq
    w = np.zeros(len(logw))
    finite = np.isfinite(logw)
    if finite.any():
        w[finite] = np.exp(logw[finite] - logw[finite].max())
    return w / w.sum() if w.sum() > 0 else w, logq


def _posterior_draws(targets, out, runner, bases, seeds, weeks, trials_df, log):
    """Adaptive importance sampling in ``posterior.rounds`` rounds of ``posterior.draws``:
    round 0's proposal is fitted to the best trials; each later one to the weighted draws so
    far (mean, covariance times ``inflate**2``; when the weights sit on fewer than d + 2
    draws, the weighted covariance plus a quarter of the previous one: the proposal shrinks
    around the best draws without collapsing)."""
    spec = targets.spec
    ps = spec.posterior
    d = len(targets.names)
    mean, cov = proposal(targets, trials_df)
    proposals, sizes, rows, values = [], [], [], {}
    us = np.empty((0, d))
    for k in range(ps.rounds):
        rng = np.random.default_rng(_seed(spec.seed, 2, k))
        q = TruncatedNormal(mean, cov, rng)
        u = q.draw(ps.draws, rng)
        base = len(us)
        params = {base + i: {p.path: from_unit(p, float(u[i, j]))
                             for j, p in enumerate(spec.parameters)} for i in range(len(u))}
        frames = runner.run(out / "runs" / f"posterior-{_digest(params, seeds)}",
                            _tasks("p", params, seeds, weeks, "draw"), bases,
                            {"stage": "posterior", "round": k, "draws": params,
                             "seeds": seeds})
        for i in params:
            v = _replicate_values(targets, frames, "p", i, len(seeds))
            values[i] = v
            row = {"draw": i, "round": k, "loglik": _loglik(targets, v) if v is not None
                   else float("-inf")}
            row.update({n: params[i][p.path] for p, n in zip(spec.parameters, targets.names,
                                                              strict=True)})
            rows.append(row)
        us = np.vstack([us, u])
        proposals.append(q)
        sizes.append(len(u))
        ll = np.array([r["loglik"] for r in rows])
        w, logq = _mixture_weights(us, ll, proposals, sizes)
        ess = 1.0 / np.sum(w ** 2) if w.sum() > 0 else 0.0
        log(f"posterior: round {k + 1}/{ps.rounds}, {len(us)} draws, effective sample size "
            f"{ess:.1f}")
        if w.sum() > 0:
            m = w @ us
            c = np.atleast_2d(np.cov(us.T, aweights=w + 1e-300, bias=True))
            if ess < d + 2:  # too few draws to estimate a shape: shrink around the best
                c = c + 0.25 * cov
            else:
                c = c * ps.inflate ** 2
            mean, cov = m, c + np.eye(d) * 1e-6
    draws = pd.DataFrame(rows)
    draws["log_proposal"] = logq
    draws["weight"] = w
    return draws, values


# ---------------------------------------------------------------------------- 4. outputs
def _summarise(targets, out, trials_df, rescored, draws, values, seeds, n_rep, scn,
               abc_info=None):
    """Intervals, bound warnings, predictive bands, goodness of fit and the provenance card
    of a weighted posterior sample (``draws``): importance draws, or an ABC population
    (``abc_info`` set)."""
    spec = targets.spec
    names = targets.names
    warnings = []
    w = draws["weight"].to_numpy()
    ess = float(1.0 / np.sum(w ** 2)) if w.sum() > 0 else 0.0
    if w.sum() <= 0:
        raise ScenarioError(f"{targets.source}: posterior: no proposal draw has a finite "
                            "likelihood (see runs/posterior)")
    rng = np.random.default_rng(_seed(spec.seed, 3))
    pick = rng.choice(len(draws), size=spec.posterior.samples, replace=True, p=w)
    posterior = draws.iloc[pick][["draw", *names]].reset_index(drop=True)
    if ess < 5:
        warnings.append(f"posterior: effective sample size {ess:.1f} of {len(draws)} draws: "
                        "the intervals rest on few draws (raise "
                        + ("abc.population" if abc_info else "posterior.draws or "
                           "posterior.inflate") + ")")
    best = rescored.iloc[0]
    prows = []
    for p, n in zip(spec.parameters, names, strict=True):
        q = L.weighted_quantiles(draws[[n]].to_numpy(), w, (0.05, 0.25, 0.5, 0.75, 0.95))[:, 0]
        ub = to_unit(p, float(q[2]))
        at = "low" if ub < 0.02 else ("high" if ub > 0.98 else "")
        if at:
            warnings.append(f"{n} ({p.path}): fitted value {q[2]:.4g} sits at its {at} "
                            f"bound [{p.low:g}, {p.high:g}]: widen the bounds if the "
                            "documented range allows")
        if not q[0] <= float(best[n]) <= q[4]:
            warnings.append(f"{n}: the best re-scored trial ({best[n]:.4g}) lies outside the "
                            f"posterior's 90% interval [{q[0]:.4g}, {q[4]:.4g}]: "
                            + ("the posterior is flat or multimodal, or the re-scoring seeds "
                               "disagree with the search seeds" if abc_info else
                               "the search has not converged (raise --trials)")
                            + "; calibrated.yaml uses the posterior median")
        row = {"parameter": n, "path": p.path, "prior": p.prior, "low": p.low,
               "high": p.high, "best": float(best[n]), "median": q[2], "q05": q[0],
               "q25": q[1], "q75": q[3], "q95": q[4], "at_bound": at}
        if p.path in spec.known_answer:
            row["known"] = spec.known_answer[p.path]
            row["known_in_90"] = bool(q[0] <= row["known"] <= q[4])
        prows.append(row)
    parameters = pd.DataFrame(prows)
    # predictive bands: every weighted draw, its replicates, observation noise
    prng = np.random.default_rng(_seed(spec.seed, 4))
    bands, gof = {}, []
    keep = [i for i in range(len(draws)) if w[i] > 0 and values[i] is not None]
    for s in targets.series:
        sims, sw = [], []
        for i in keep:
            x = L.predictive_draws(values[i][s.name], s, prng)
            sims.append(x)
            sw.append(np.full(len(x), w[i] / len(x)))
        b = L.bands(np.vstack(sims), np.concatenate(sw))
        bands[s.name] = b
        fit = targets.fit_years(s)
        ll_best = _weighted_ll(targets, s, values, keep, w, fit)
        if fit.any():
            gof.append(L.gof_rows(s, b, ll_best, fit, "fit"))
        if (~fit).any():
            ll_h = _weighted_ll(targets, s, values, keep, w, ~fit)
            gof.append(L.gof_rows(s, b, ll_h, ~fit, "holdout" if s.spec.fit else "not fitted"))
    gof = pd.DataFrame(gof)
    prov = {
        "method": ("abc: ABC-SMC (pyabc, stochastic acceptor, temperature to 1), re-scoring "
                   "on fresh seeds" if abc_info else
                   "optuna TPE search, re-scoring on fresh seeds, importance resampling"),
        "targets_file": str(Path(targets.source).resolve()),
        "base_scenario": str(targets.base_path.resolve()),
        "data_sha256": targets.data_hash,
        "scenario_hash": scn.hash,
        "code_version": _code_version(),
        "date": _dt.datetime.now(_dt.UTC).isoformat(timespec="seconds"),
        "seed": spec.seed,
        "replicate_seeds": seeds,
        "replicates": n_rep,
        "trials": int(len(trials_df)),
        "best_trial": int(best.trial),
        "loglik_rescored": float(best.loglik_rescored),
        "posterior_draws": int(len(draws)),
        "effective_sample_size": round(ess, 2),
        "holdout_from_year": spec.holdout.from_year if spec.holdout else None,
    }
    if abc_info:
        prov["abc"] = abc_info
    return Calibration(targets, out, trials_df, rescored, draws, posterior, parameters, gof,
                       bands, warnings, prov)


def _weighted_ll(targets, s, values, keep, w, mask) -> float:
    """Posterior-weighted mean log-likelihood of target ``s`` over the years in ``mask``
    (the expected log predictive density's plug-in per draw)."""
    tot, ws = 0.0, 0.0
    for i in keep:
        tot += w[i] * L.loglik(values[i][s.name], s, mask)
        ws += w[i]
    return tot / ws if ws > 0 else float("nan")


def calibrated_scenario(res: Calibration, scn) -> dict:
    """The scenario dict of ``calibrated.yaml``: the base extended with the fitted values, the
    posterior medians (the re-scored best trial is reported next to them: a short search's best
    trial can lie outside the posterior's 90% interval when the posterior draws found better
    values)."""
    out = res.out.resolve()
    rel = os.path.relpath(res.targets.base_path.resolve(), out)
    params: dict = {}
    other = {}
    for r in res.parameters.itertuples():
        value = float(r.median)
        parts = r.path.split(".")
        if parts[0] == "params" and len(parts) == 3:
            from sim.params import PARAMS

            if PARAMS[parts[1]][parts[2]].kind is int:
                value = int(round(value))
            params.setdefault(parts[1], {})[parts[2]] = float(f"{value:.6g}")
        else:
            other[r.path] = value
    doc = {"name": f"{scn.name}-calibrated",
           "description": f"{scn.name} with the values fitted by `tocsim calibrate "
                          f"{res.targets.source}` ({res.provenance['date']}); see the "
                          "provenance card above and report.html next to this file.",
           "extends": rel, "params": params}
    if other:  # fields outside params: set them on the resolved base instead of extending
        import copy

        from sim.scenario import set_dotted

        raw = copy.deepcopy(scn.raw)
        for path, v in other.items():
            set_dotted(raw, path, v, "calibrated.yaml")
        raw["params"] = {**raw.get("params", {})}
        for g, vals in params.items():
            raw["params"].setdefault(g, {}).update(vals)
        raw["name"], raw["description"] = doc["name"], doc["description"]
        doc = raw
    return doc


def _write(res: Calibration, scn, plots: bool) -> None:
    import yaml

    from analysis.store import write_atomic

    out = res.out
    res.trials.to_csv(out / "trials.csv", index=False)
    res.rescored.to_csv(out / "rescored.csv", index=False)
    res.parameters.to_csv(out / "parameters.csv", index=False)
    res.gof.to_csv(out / "gof.csv", index=False)
    res.draws.to_parquet(out / "draws.parquet", index=False)
    res.posterior.to_parquet(out / "posterior.parquet", index=False)
    card = "\n".join(f"#   {k}: {json.dumps(v, default=str)}"
                     for k, v in res.provenance.items() if k != "replicate_seeds")
    card += f"\n#   replicate_seeds: {res.provenance['replicate_seeds']}"
    intervals = "\n".join(
        f"#   {r.parameter}: median {r.median:.6g} (used below), best re-scored trial "
        f"{r.best:.6g}, "
        f"90% interval [{r.q05:.6g}, {r.q95:.6g}]" + (f"  (AT {r.at_bound.upper()} BOUND)"
                                                     if r.at_bound else "")
        for r in res.parameters.itertuples())
    text = ("# Calibrated by tocsim calibrate. Provenance card:\n" + card
            + "\n# Fitted values (posterior by "
            + ("ABC-SMC" if "abc" in res.provenance else "importance resampling") + "):\n"
            + intervals + "\n"
            + "".join(f"# WARNING: {w}\n" for w in res.warnings)
            + yaml.safe_dump(calibrated_scenario(res, scn), sort_keys=False,
                             allow_unicode=True))
    write_atomic(out / "calibrated.yaml", text.encode())
    write_atomic(out / "provenance.json",
                 (json.dumps(res.provenance, indent=1, default=str) + "\n").encode())
    images = {}
    if plots:
        from .plots import save_all

        images = save_all(res, out / "plots", res.targets.truth() or None)
    from .report import render

    write_atomic(out / "report.html", render(res, images).encode())
