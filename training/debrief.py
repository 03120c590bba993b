"""The debrief: counterfactual runs of a session, what mattered, luck or skill, and the report.

``debrief(session_dir, replicates=R)`` runs, on the Dask runner (``analysis.runner``), R
replicates of each *arm* with common random numbers (replicate r has the same seed in every
arm), plus one more replicate on the session's own seed:

- ``status quo``: the same world and injects (at the weeks they fired), no decisions;
- ``plan``: the trainees' decisions (the session's timeline);
- ``alt: NAME``: a facilitator's alternative plan (a decisions file, validated like the
  trainees' submissions), with the same injects;
- ``without: DECISION``: the plan without one decision (leave one out), and
  ``without team: TEAM``: the plan without one team's decisions.

Every arm is scored like the live scorecard, against the status quo of the same replicate:
``points = sign * (arm - status quo) / scale`` per objective over the exercise weeks, and the
weighted total. A decision's measured effect is ``plan - without`` (paired), so the ranking of
decisions is net of luck. The session's own seed gives the session's own counterfactuals: its
effect is placed in the distribution over seeds (luck), beside the plan's mean effect and
interval (skill). The report follows the PEARLS debriefing structure (reactions, description,
analysis, summary) with a plus/delta list.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from analysis.stats import mean_interval, paired_difference
from sim.errors import ScenarioError
from sim.output import make_folder

from .arms import ArmsReplicate
from .engine import Exercise, points

SESSION_REPLICATE = -1  # the replicate run on the session's own seed
BASE = "arms"


@dataclass
class Arm:
    label: str
    kind: str  # plan | status_quo | alternative | without | without_team
    actions: list[dict[str, Any]]
    decision: str | None = None
    team: str | None = None


@dataclass
class DebriefResult:
    """Tables of a debrief (pandas frames) and where they were written."""

    exercise: Exercise
    arms: list[Arm]
    per_run: pd.DataFrame  # arm, replicate, seed, objective means and score
    bands: pd.DataFrame  # arm, week, metric, mean, lo, hi (5-95% over replicates)
    scorecard: pd.DataFrame
    ranking: pd.DataFrame
    stated: pd.DataFrame
    luck: dict[str, Any]
    pearls: dict[str, Any]
    session_check: dict[str, Any]
    out: Path
    timings: dict[str, Any] = field(default_factory=dict)


# ---------------------------------------------------------------------------- arms
def build_arms(ex: Exercise, alternatives: list[str | Path] = (), leave_one_out: bool = True
               ) -> list[Arm]:
    arms = [Arm("plan", "plan", ex.timeline()),
            Arm("status quo", "status_quo", ex.timeline(decisions=False))]
    for path in alternatives:
        name, actions = alternative_timeline(ex, path)
        arms.append(Arm(f"alt: {name}", "alternative", actions))
    if leave_one_out:
        decisions = ex.state["decisions"]
        for d in decisions:
            arms.append(Arm(f"without: {d['name']}", "without", ex.timeline(drop={d["name"]}),
                            decision=d["name"], team=d["team"]))
        teams = sorted({d["team"] for d in decisions})
        if len(teams) > 1:
            for t in teams:
                drop = {d["name"] for d in decisions if d["team"] == t}
                arms.append(Arm(f"without team: {t}", "without_team", ex.timeline(drop=drop),
                                team=t))
    return arms


def alternative_timeline(ex: Exercise, path: str | Path) -> tuple[str, list[dict]]:
    """Play a facilitator's decisions file in a scratch session (so it is validated against
    the menus and budgets like the trainees' were, with the same injects fired by hand at the
    same turns), and return its decisions joined to the session's injects."""
    from .script import play_script
    from .spec import load_script

    script = load_script(path)
    fired = {n: f["turn"] for n, f in ex.state["fired"].items() if f["how"] == "facilitator"}
    for n, turn in fired.items():
        script.fire.setdefault(turn, [])
        if n not in script.fire[turn]:
            script.fire[turn].append(n)
    with tempfile.TemporaryDirectory(prefix="tocsim-alt-") as tmp:
        alt = play_script(ex.ex, script, Path(tmp) / "s", label=str(path),
                          turns=ex.turn - 1)
        decisions = [a for a in alt.state["actions"] if a["kind"] in ("decision", "stop")]
    injects = [a for a in ex.state["actions"] if a["kind"] == "inject"]
    actions = sorted(decisions + injects, key=lambda a: (a["week"], a["kind"] == "inject"))
    return script.name or Path(path).stem.replace(".decisions", ""), actions


# ---------------------------------------------------------------------------- running
def debrief(session: str | Path | Exercise, replicates: int = 20, *,
            alternatives: list[str | Path] = (), out: str | Path | None = None,
            workers: int | None = 2, scheduler: str | None = None, seed: int | None = None,
            leave_one_out: bool = True, progress=None, write: bool = True) -> DebriefResult:
    """Run the debrief of the session in ``session`` and write ``debrief.html``,
    ``log.csv`` and the tables to ``out`` (default ``SESSION_DIR/debrief``). Runs already
    stored there for the same inputs are reused (a debrief interrupted by Ctrl-C resumes)."""
    import time

    from analysis.runner import Task, replicate_seeds, run_tasks, versions
    from analysis.store import RunStore

    t0 = time.perf_counter()
    ex = session if isinstance(session, Exercise) else Exercise.open(session)
    if ex.turn <= 1:
        raise ScenarioError(f"{ex.out}: no turn played yet: nothing to debrief")
    if replicates < 2:
        raise ScenarioError(f"--replicates: {replicates}: need at least 2")
    out = Path(out) if out is not None else ex.out / "debrief"
    arms = build_arms(ex, alternatives, leave_one_out)
    weeks = ex.model.week
    root = ex.ex.scenario.seed if seed is None else seed
    seeds = replicate_seeds(root, replicates)
    base = ArmsReplicate(ex.ex.scenario, [a.actions for a in arms])
    tasks = [Task(key=f"r{r:05d}", base=BASE, seed=s, weeks=weeks, labels={"replicate": r})
             for r, s in enumerate(seeds)]
    tasks.append(Task(key="session", base=BASE, seed=ex.ex.scenario.seed, weeks=weeks,
                      labels={"replicate": SESSION_REPLICATE}))
    digest = hashlib.sha256(json.dumps([[a.label, a.actions] for a in arms], sort_keys=True,
                                       default=str).encode()).hexdigest()[:16]
    inputs = {"exercise": ex.ex.spec.name, "scenario": ex.ex.scenario.hash, "weeks": weeks,
              "arms": digest, "replicates": replicates, "root_seed": root}
    make_folder(out)  # a file in the way: one line (the except below would misread it)
    store = RunStore(out / "runs")
    try:
        store.open(kind="tocsim-debrief", inputs=inputs, versions=versions(),
                   runs=[t.record() for t in tasks], resume=True,
                   settings={"arms": [a.label for a in arms]})
    except ScenarioError:  # runs of an earlier debrief of other inputs: a cache, rebuilt
        shutil.rmtree(out / "runs")
        store = RunStore(out / "runs")
        store.open(kind="tocsim-debrief", inputs=inputs, versions=versions(),
                   runs=[t.record() for t in tasks], resume=True,
                   settings={"arms": [a.label for a in arms]})
    t1 = time.perf_counter()
    session = run_tasks(tasks, {BASE: base}, store, workers=workers, scheduler=scheduler,
                        progress=progress)
    if session["status"] != "complete":
        raise ScenarioError(f"{out}: {session['runs_failed']} debrief runs failed; see "
                            f"{store.manifest_path}")
    t2 = time.perf_counter()
    frame = pd.read_parquet(store.parts)
    res = analyse(ex, arms, frame, out)
    res.timings = {"setup_s": round(t1 - t0, 2), "runs_s": round(t2 - t1, 2),
                   "runs": len(tasks), "arms": len(arms), "weeks": weeks,
                   "startup_s": session.get("startup_s")}
    if write:
        from .report import write_debrief

        write_debrief(res)
    res.timings["total_s"] = round(time.perf_counter() - t0, 2)
    return res


# ---------------------------------------------------------------------------- analysis
def objective_columns(ex: Exercise) -> list[tuple[str, str, Any]]:
    return [(k, ex.ex.objective_metric(k), o) for k, o in ex.ex.spec.scorecard.items()]


def summarise_runs(ex: Exercise, arms: list[Arm], frame: pd.DataFrame) -> pd.DataFrame:
    """One row per arm and replicate: the mean of each objective's metric over the exercise
    weeks, its points against the same replicate's status quo, and the total score."""
    a = ex.ex.spec.warmup_weeks
    f = frame[frame["week"] >= a]
    objs = objective_columns(ex)
    metrics = sorted({m for _, m, _ in objs})
    g = f.groupby(["arm", "replicate"], sort=True)[metrics].mean().reset_index()
    g["arm"] = g["arm"].astype(int)
    seeds = f.groupby("replicate")["seed"].first()
    g["seed"] = g["replicate"].map(seeds)
    sq_idx = next(i for i, x in enumerate(arms) if x.kind == "status_quo")
    sq = g[g["arm"] == sq_idx].set_index("replicate")
    reps = g[g["replicate"] != SESSION_REPLICATE]
    sq_mean = reps[reps["arm"] == sq_idx][metrics].mean()
    g["score"] = 0.0
    for key, metric, obj in objs:
        scaled = obj if obj.scale is not None else _Scaled(obj, abs(float(sq_mean[metric])))
        base = g["replicate"].map(sq[metric])
        pts = [points(v, q, scaled) for v, q in zip(g[metric], base, strict=True)]
        g[f"points:{key}"] = pts
        g["score"] += obj.weight * np.asarray(pts)
    g.insert(1, "label", g["arm"].map(lambda i: arms[i].label))
    return g


@dataclass
class _Scaled:
    """An objective with its scale fixed to the status quo's mean over replicates (so points
    of every replicate use one yardstick)."""

    obj: Any
    scale: float

    @property
    def better(self):
        return self.obj.better


def analyse(ex: Exercise, arms: list[Arm], frame: pd.DataFrame, out: Path) -> DebriefResult:
    per_run = summarise_runs(ex, arms, frame)
    reps = per_run[per_run["replicate"] != SESSION_REPLICATE]
    objs = objective_columns(ex)
    by = {i: reps[reps["arm"] == i].sort_values("replicate") for i in range(len(arms))}
    sq_i = next(i for i, a in enumerate(arms) if a.kind == "status_quo")
    plan = by[0]

    # scorecard: each main arm against the status quo, paired
    rows = []
    for i, arm in enumerate(arms):
        if arm.kind not in ("plan", "status_quo", "alternative"):
            continue
        for key, metric, obj in objs + [("score", "score", None)]:
            col = metric
            x, q = by[i][col].to_numpy(), by[sq_i][col].to_numpy()
            m, d = mean_interval(x), paired_difference(x, q)
            row = {"arm": arm.label, "objective": key, "metric": metric,
                   "weight": obj.weight if obj else None, "mean": m.estimate, "lo": m.lo,
                   "hi": m.hi, "diff": d.estimate, "diff_lo": d.lo, "diff_hi": d.hi,
                   "p": d.p_value}
            if key != "score":
                p = mean_interval(by[i][f"points:{key}"].to_numpy())
                row.update(points=p.estimate, points_lo=p.lo, points_hi=p.hi)
            else:
                row.update(points=d.estimate, points_lo=d.lo, points_hi=d.hi)
            rows.append(row)
    scorecard = pd.DataFrame(rows)

    # which decisions mattered: plan minus plan-without, paired
    rank_rows = []
    sq_means = by[sq_i]
    for i, arm in enumerate(arms):
        if arm.kind not in ("without", "without_team"):
            continue
        w = by[i]
        d = paired_difference(plan["score"].to_numpy(), w["score"].to_numpy())
        row = {"what": arm.decision or f"team {arm.team}", "kind": arm.kind,
               "team": arm.team, "score_effect": d.estimate, "lo": d.lo, "hi": d.hi,
               "p": d.p_value}
        for key, metric, _ in objs:
            dm = paired_difference(plan[metric].to_numpy(), w[metric].to_numpy())
            ref = abs(float(sq_means[metric].mean())) or 1.0
            row[f"abs:{key}"] = dm.estimate
            row[f"rel:{key}"] = dm.estimate / ref
            row[f"rel_lo:{key}"] = dm.lo / ref
            row[f"rel_hi:{key}"] = dm.hi / ref
        rank_rows.append(row)
    ranking = pd.DataFrame(rank_rows)
    if not ranking.empty:
        ranking = ranking.sort_values("score_effect", ascending=False, kind="stable")
        ranking.insert(0, "rank", np.arange(1, len(ranking) + 1))
        ranking = ranking.reset_index(drop=True)

    stated = stated_vs_measured(ex, arms, by, sq_i)
    luck = luck_or_skill(ex, arms, per_run, sq_i)
    check = session_check(ex, frame)
    bands = weekly_bands(ex, arms, frame)
    res = DebriefResult(ex, arms, per_run, bands, scorecard, ranking, stated, luck, {}, check,
                        out)
    from .pearls import pearls

    res.pearls = pearls(res)
    return res


def stated_vs_measured(ex: Exercise, arms, by, sq_i) -> pd.DataFrame:
    """Each decision's stated expected effects beside the measured ones (relative to the
    status quo's mean: ``mean(plan - without) / mean(status quo)``, paired, with the 95% CI)."""
    rows = []
    index = {a.decision: i for i, a in enumerate(arms) if a.kind == "without"}
    plan = by[0]
    for d in ex.state["decisions"]:
        i = index.get(d["name"])
        expected = d.get("expected") or {}
        if i is None:
            continue
        for key, val in expected.items():
            metric = ex.ex.objective_metric(key)
            if metric not in plan.columns:
                rows.append({"decision": d["name"], "team": d["team"], "turn": d["turn"],
                             "metric": key, "stated": val, "measured": np.nan, "lo": np.nan,
                             "hi": np.nan, "why": d.get("why", ""), "verdict": "not measured "
                             "(not an objective of this exercise)"})
                continue
            dm = paired_difference(plan[metric].to_numpy(), by[i][metric].to_numpy())
            ref = abs(float(by[sq_i][metric].mean())) or 1.0
            m, lo, hi = dm.estimate / ref, dm.lo / ref, dm.hi / ref
            if lo <= val <= hi:
                verdict = "as stated (within the interval)"
            elif np.sign(val) == np.sign(m) and (lo > 0 or hi < 0):
                verdict = "right direction, " + ("smaller" if abs(m) < abs(val) else "larger")
            elif lo <= 0 <= hi:
                verdict = "no measurable effect"
            else:
                verdict = "opposite direction"
            rows.append({"decision": d["name"], "team": d["team"], "turn": d["turn"],
                         "metric": key, "stated": val, "measured": m, "lo": lo, "hi": hi,
                         "why": d.get("why", ""), "verdict": verdict})
    return pd.DataFrame(rows, columns=["decision", "team", "turn", "metric", "stated",
                                       "measured", "lo", "hi", "why", "verdict"])


def luck_or_skill(ex: Exercise, arms, per_run: pd.DataFrame, sq_i: int) -> dict[str, Any]:
    """Where the session's own outcome falls among the plan's outcomes over seeds."""
    reps = per_run[per_run["replicate"] != SESSION_REPLICATE]
    own = per_run[per_run["replicate"] == SESSION_REPLICATE]
    plan = reps[reps["arm"] == 0].sort_values("replicate")
    sq = reps[reps["arm"] == sq_i].sort_values("replicate")
    effects = plan["score"].to_numpy() - sq["score"].to_numpy()
    own_effect = float(own[own["arm"] == 0]["score"].iloc[0] - own[own["arm"] == sq_i]
                       ["score"].iloc[0])
    skill = mean_interval(effects)
    pct = float((effects < own_effect).mean() + 0.5 * (effects == own_effect).mean())
    out = {"own_effect": own_effect, "effect": skill.estimate, "lo": skill.lo, "hi": skill.hi,
           "percentile": 100 * pct, "replicates": int(effects.size),
           "effects": effects.tolist(), "objectives": {}}
    for key, metric, _ in objective_columns(ex):
        vals = plan[metric].to_numpy()
        mine = float(own[own["arm"] == 0][metric].iloc[0])
        out["objectives"][key] = {"own": mine, "mean": float(vals.mean()),
                                  "percentile": 100 * float((vals < mine).mean()
                                                            + 0.5 * (vals == mine).mean())}
    if pct >= 0.9:
        out["reading"] = ("lucky: this session did better than most seeds would have given the "
                          "same plan")
    elif pct <= 0.1:
        out["reading"] = ("unlucky: this session did worse than most seeds would have given the "
                          "same plan")
    else:
        out["reading"] = "typical: this session's outcome is what the plan usually gives"
    return out


def session_check(ex: Exercise, frame: pd.DataFrame) -> dict[str, Any]:
    """The plan arm on the session's seed must be the session itself (and the status-quo arm
    the session's status-quo shadow): both compared exactly, week by week."""
    own = frame[frame["replicate"] == SESSION_REPLICATE]
    names = ex.model.metric_names
    live = ex.model.metrics[: ex.model.week]
    shadow = ex.status_quo.metrics[: ex.model.week]
    plan = own[own["arm"] == 0].sort_values("week")[names].to_numpy()
    sq_arm = own[own["arm"] == 1].sort_values("week")[names].to_numpy()
    same = lambda a, b: a.shape == b.shape and bool(np.array_equal(a, b, equal_nan=True))  # noqa: E731
    return {"plan_equals_session": same(plan, live),
            "status_quo_equals_shadow": same(sq_arm, shadow)}


def weekly_bands(ex: Exercise, arms, frame: pd.DataFrame) -> pd.DataFrame:
    """Per main arm, week and objective metric: the mean over replicates and the 5-95%
    range (the spread of outcomes a seed can give), plus the session's own line."""
    keep = [i for i, a in enumerate(arms) if a.kind in ("plan", "status_quo", "alternative")]
    metrics = sorted({m for _, m, _ in objective_columns(ex)})
    f = frame[frame["arm"].isin(keep)]
    reps = f[f["replicate"] != SESSION_REPLICATE]
    g = reps.groupby(["arm", "week"])[metrics]
    mean, lo, hi = g.mean(), g.quantile(0.05), g.quantile(0.95)
    own = f[f["replicate"] == SESSION_REPLICATE].set_index(["arm", "week"])[metrics]
    rows = []
    for m in metrics:
        part = pd.DataFrame({"mean": mean[m], "lo": lo[m], "hi": hi[m],
                             "session": own[m].reindex(mean.index)}).reset_index()
        part["metric"] = m
        rows.append(part)
    out = pd.concat(rows, ignore_index=True)
    out["arm"] = out["arm"].astype(int).map(lambda i: arms[i].label)
    return out
