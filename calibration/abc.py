"""``tocsim calibrate --method abc``: ABC-SMC with pyabc, on the runner of ``compare``.

What is fitted is what the Optuna path fits: the posterior ``prior x likelihood``, the prior
uniform (log-uniform for ``prior: log``) within the bounds, the likelihood the synthetic one of
:mod:`calibration.likelihood` over the fitted years, every parameter set run ``replicates``
times on the search's seeds (common random numbers: the likelihood is then a smooth,
deterministic function of the parameters, as in the search and the importance sampler).

How (pyabc 0.13, Wilkinson's "ABC gives exact results under the assumption of model error"):

- **Parameters** are the unit cube of the search (:func:`calibration.targets.to_unit`): the
  prior is uniform on it; pyabc's multivariate normal kernel perturbs in it.
- **Distance**: a stochastic kernel, the log-likelihood itself; a **stochastic acceptor**
  accepts a particle with probability ``exp((loglik - c) / T)``, ``c`` the largest
  log-likelihood of the previous population (values above it are weighted up, pyabc's
  rejection control). The **temperature** ``T`` starts where about ``abc.initial_acceptance``
  of the prior sample would be accepted and falls geometrically to 1 in ``abc.generations``
  generations (faster when the effective sample size allows, ``abc.ess``): the last
  generation, at ``T = 1``, is a weighted sample of the posterior itself, not of an
  epsilon-ball around it.
- **Sampler** (:class:`BatchSampler`): a generation is evaluated in rounds of ``abc.batch``
  proposals. Proposal ``k`` of generation ``t`` draws from numpy's global generator seeded by
  ``(seed, t, k)`` alone, so the proposals do not depend on timing or on the number of
  workers; a first pass collects a round's proposals, the runner runs them (Dask, stored
  under ``DIR/runs/abc-gGG-rRRR/``), a second pass replays the same draws and lets pyabc
  weigh and accept them in order, until ``abc.population`` are accepted. Same targets file
  and seed: the same populations, bit for bit, on any number of workers.
- **History**: pyabc's SQLite database ``DIR/abc.db`` holds every finished generation; a
  round's evaluated proposals are also listed in ``DIR/abc/gGG-rRRR.csv``. ``--resume``
  continues from the last finished generation (the temperatures are read back from the
  database; the other adaptive pieces depend only on the last population, so a resumed run
  is the uninterrupted one); a generation cut short reruns its rounds from the run store,
  without repeating a finished run.

The outputs are those of the Optuna path (:func:`calibration.search._summarise`): the final
population (weighted) in ``draws.parquet``, resampled into ``posterior.parquet``; the best
``search.rescore_top`` particles ever evaluated are re-scored on fresh seeds for ``best``.
"""

from __future__ import annotations

import contextlib
import logging
import math
from pathlib import Path

import numpy as np
import pandas as pd

from sim.errors import ScenarioError

from .targets import Targets, from_unit

DB = "abc.db"
STATE = "abc.json"
_LOG = "abc"


class _Proposed(Exception):  # noqa: N818 - a signal, not an error
    """Raised by the model in the capture pass: carries the proposal, nothing is run."""

    def __init__(self, u: tuple[float, ...]):
        super().__init__("proposal captured")
        self.u = u


@contextlib.contextmanager
def _global_rng(*parts: int):
    """numpy's global generator (the one pyabc and scipy draw from) seeded by ``parts``, its
    previous state restored on exit."""
    state = np.random.get_state()
    np.random.seed(np.random.SeedSequence(list(parts)).generate_state(8))
    try:
        yield
    finally:
        np.random.set_state(state)


def _model_class():
    import pyabc

    class RunnerModel(pyabc.Model):
        """The model pyabc sees: in the capture pass it records the proposal and raises; in
        the replay pass it returns the proposal's stored result (the replicates' yearly
        values), checking that the replay drew the same proposal."""

        def __init__(self, names: list[str]):
            super().__init__("tocsim")
            self.names = names
            self.capture = True
            self.expected: list[tuple[float, ...]] = []
            self.results: list[dict | None] = []
            self.pos = 0

        def sample(self, pars):
            u = tuple(float(pars[n]) for n in self.names)
            if self.capture:
                raise _Proposed(u)
            i = self.pos
            self.pos += 1
            if i >= len(self.expected) or u != self.expected[i]:
                raise RuntimeError(f"abc: the replay drew proposal {u}, the capture "
                                   f"{self.expected[i] if i < len(self.expected) else None}")
            return self.results[i] if self.results[i] is not None else {}

    return RunnerModel


def _sampler_class():
    import pyabc

    class BatchSampler(pyabc.sampler.Sampler):
        """Evaluate a generation in fixed rounds of proposals through our runner (see the
        module docstring); accept in proposal order until ``n`` are accepted."""

        def __init__(self, model, evaluate, seed: int, batch: int, max_proposals: int):
            super().__init__()
            self.model, self.evaluate = model, evaluate
            self.seed, self.batch, self.max_proposals = seed, batch, max_proposals

        def sample_until_n_accepted(self, n, simulate_one, t, *, max_eval=np.inf,
                                    all_accepted=False, ana_vars=None):
            sample = self._create_empty_sample()
            size = n if all_accepted else self.batch
            evaluated, r = 0, 0
            while sample.n_accepted < n:
                start = r * size
                if start >= self.max_proposals:
                    sample.ok = False
                    break
                ks = range(start, min(start + size, self.max_proposals))
                self.model.capture = True
                proposals = []
                for k in ks:
                    with _global_rng(self.seed, 6, t + 1, k):
                        try:
                            simulate_one()
                        except _Proposed as p:
                            proposals.append(p.u)
                        else:
                            raise RuntimeError("abc: a proposal was not captured")
                results = self.evaluate(t, r, start, proposals)
                self.model.capture = False
                self.model.expected, self.model.results, self.model.pos = proposals, results, 0
                for k in ks:
                    with _global_rng(self.seed, 6, t + 1, k):
                        particle = simulate_one()
                    sample.append(particle)
                    evaluated += 1
                    if sample.n_accepted >= n:
                        break
                r += 1
            self.nr_evaluations_ = evaluated
            return sample

    return BatchSampler


def _kernel_class():
    from pyabc.distance import SCALE_LOG, StochasticKernel

    from .search import _loglik

    class LogLikKernel(StochasticKernel):
        """The synthetic log-likelihood of the fitted years (calibration.likelihood) as
        pyabc's stochastic kernel; a failed run (no result) has -inf."""

        def __init__(self, targets: Targets):
            super().__init__(ret_scale=SCALE_LOG, keys=[s.name for s in targets.series])
            self.targets = targets

        def __call__(self, x, x_0, t=None, par=None):
            if not x:
                return -np.inf
            ll = _loglik(self.targets, x)
            return ll if math.isfinite(ll) else -np.inf

    return LogLikKernel


def _ess_scheme(target: float):
    """pyabc's EssScheme, returning a float (0.13 returns a one-element array, which its
    own logging cannot format)."""
    from pyabc.epsilon import EssScheme

    class FloatEss(EssScheme):
        def __call__(self, *args, **kwargs):
            return float(np.asarray(super().__call__(*args, **kwargs)).reshape(-1)[0])

    return FloatEss(target)


def _norm_last_population(get_weighted_distances, **_ignored) -> float:
    """The acceptor's normalization ``c``: the largest log-likelihood of the previous
    population (stateless, so a resumed run computes what an uninterrupted one did)."""
    d = np.asarray(get_weighted_distances()["distance"], dtype=float)
    d = d[np.isfinite(d)]
    return float(d.max()) if len(d) else 0.0


def run_abc(targets: Targets, out: Path, runner, bases, seeds: list[int], weeks: int,
            log) -> tuple[pd.DataFrame, pd.DataFrame, dict, dict]:
    """Run (or resume) ABC-SMC; return every evaluated proposal (``trials``: trial,
    generation, loglik, parameters), the final population (``draws``: draw, round, loglik,
    parameters, weight), each draw's replicate values, and a summary for the provenance."""
    import pyabc
    from pyabc.epsilon import AcceptanceRateScheme, ExpDecayFixedIterScheme

    from analysis.store import write_atomic

    from .search import _replicate_values, _tasks

    logging.getLogger("ABC").setLevel(logging.WARNING)
    spec = targets.spec
    a = spec.abc
    names = targets.names
    params_spec = spec.parameters
    folder = out / _LOG
    folder.mkdir(parents=True, exist_ok=True)

    def evaluate(t: int, r: int, start: int, proposals):
        params = {start + i: {p.path: from_unit(p, u[j]) for j, p in enumerate(params_spec)}
                  for i, u in enumerate(proposals)}
        tag = f"g{t + 1:02d}-r{r:03d}"
        frames = runner.run(out / "runs" / f"abc-{tag}", _tasks("a", params, seeds, weeks,
                                                                "proposal"),
                            bases, {"stage": "abc", "generation": t, "round": r,
                                    "proposals": params, "seeds": seeds})
        results, rows = [], []
        for num, overrides in params.items():
            v = _replicate_values(targets, frames, "a", num, len(seeds))
            results.append(v)
            ll = kernel(v, None) if v is not None else -np.inf
            rows.append({"generation": t, "round": r, "proposal": num, "loglik": ll,
                         **{n: overrides[p.path] for p, n in zip(params_spec, names,
                                                                 strict=True)}})
        write_atomic(folder / f"{tag}.csv", pd.DataFrame(rows).to_csv(index=False).encode())
        return results

    kernel = _kernel_class()(targets)
    model = _model_class()(names)
    sampler = _sampler_class()(model, evaluate, spec.seed, a.batch or a.population,
                               a.max_proposals)
    eps = pyabc.Temperature(schemes=[ExpDecayFixedIterScheme(), _ess_scheme(a.ess)],
                            initial_temperature=AcceptanceRateScheme(a.initial_acceptance))
    prior = pyabc.Distribution(**{n: pyabc.RV("uniform", 0.0, 1.0) for n in names})
    smc = pyabc.ABCSMC(model, prior, kernel, population_size=a.population, sampler=sampler,
                       eps=eps, acceptor=pyabc.StochasticAcceptor(
                           pdf_norm_method=_norm_last_population),
                       transitions=pyabc.MultivariateNormalTransition())
    db = out / DB
    url = f"sqlite:///{db.resolve()}"
    x0 = {s.name: np.asarray(s.values, float) for s in targets.series}
    history = _open_history(smc, db, url, x0)
    pops = history.get_all_populations()
    pops = pops[pops.t >= 0]
    done_t = int(pops.t.max()) if len(pops) else -1
    finished = len(pops) and float(pops.epsilon.iloc[-1]) <= 1.0
    if finished:
        log(f"abc: finished ({done_t + 1} generations in {DB})")
    else:
        if len(pops):
            log(f"abc: resuming after generation {done_t + 1} of at most {a.generations}")
            eps.temperatures = {int(t): float(e) for t, e in zip(pops.t, pops.epsilon,
                                                                  strict=True)}
        smc.run(minimum_epsilon=1.0, max_nr_populations=a.generations)
        pops = history.get_all_populations()
        pops = pops[pops.t >= 0]
    last_t = int(pops.t.max()) if len(pops) else -1
    temp = float(pops.epsilon.iloc[-1]) if len(pops) else math.inf
    if temp > 1.0:
        raise ScenarioError(
            f"{targets.source}: abc: generation {last_t + 1} accepted fewer than "
            f"abc.population ({a.population}) particles in abc.max_proposals "
            f"({a.max_proposals}) proposals at temperature {temp:.3g}: the population is not "
            "the posterior (raise abc.max_proposals or abc.generations, in another --out)")
    pop = history.get_population(t=last_t)
    rows, values = [], {}
    w = np.array([pt.weight for pt in pop.particles], float)
    w = w / w.sum()
    for i, pt in enumerate(pop.particles):
        values[i] = {k: np.asarray(v) for k, v in pt.sum_stat.items()} or None
        rows.append({"draw": i, "round": last_t, "loglik": float(pt.distance),
                     **{n: from_unit(p, float(pt.parameter[n]))
                        for p, n in zip(params_spec, names, strict=True)}})
    draws = pd.DataFrame(rows)
    draws["weight"] = w
    trials = _proposals_frame(folder, names)
    gens = []
    for t in sorted(int(x) for x in pops.t):
        row = pops[pops.t == t].iloc[0]
        n_eval = int((trials.generation == t).sum())
        gens.append({"generation": t + 1, "temperature": float(row.epsilon),
                     "accepted": int(row.particles), "evaluated": int(row.samples),
                     "runs": n_eval * len(seeds)})
    ess = float(1.0 / np.sum(w ** 2))
    log(f"abc: {last_t + 1} generations, {len(trials)} proposals run "
        f"({len(trials) * len(seeds)} runs); final population ESS {ess:.1f}")
    info = {"generations": gens, "proposals": int(len(trials)), "population": a.population,
            "final_temperature": temp}
    return trials, draws, values, info


def _open_history(smc, db: Path, url: str, x0: dict):
    """pyabc's history in ``db``: continue the stored analysis, or start one (a database
    left without one, by a kill during its creation, is started afresh)."""
    import pyabc

    if db.exists():
        try:
            runs = pyabc.History(url).all_runs()
        except Exception:  # noqa: BLE001 - an unreadable database holds no generation
            runs = []
        if runs:
            return smc.load(url, int(runs[-1].id))
        db.unlink()
    return smc.new(url, x0)


def _proposals_frame(folder: Path, names: list[str]) -> pd.DataFrame:
    """Every evaluated proposal, in (generation, proposal) order, numbered as trials."""
    parts = [pd.read_csv(f) for f in sorted(folder.glob("g*-r*.csv"))]
    df = pd.concat(parts, ignore_index=True).sort_values(["generation", "proposal"])
    df = df.reset_index(drop=True)
    df.insert(0, "trial", np.arange(len(df)))
    df["batch"] = df["generation"] + 1
    return df[["trial", "batch", "generation", "round", "proposal", "loglik", *names]]
