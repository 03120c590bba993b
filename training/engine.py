"""The exercise engine: teams submit decisions turn by turn, the simulation answers, injects
fire, and every turn is saved as an exact snapshot.

Use it from Python (the web app and the command line both do)::

    from training import Exercise
    ex = Exercise.new("exercises/border_finance.yaml", "out/session1")
    ex.submit("Enforcement", {"decisions": [{"name": "surge", "type": "interdiction",
              "budget": 8e6, "targets": {"corridors": ["Mexico-United States"]},
              "expected": {"seizures": 0.2}, "why": "most flow crosses there"}]})
    ex.lock(); ex.advance()          # simulate turn 1 (13 weeks)
    ex.brief("Enforcement")          # what that team is told (delayed, noisy)
    ex.fire_inject("prison-break")   # the facilitator fires an inject now
    ex.rewind(0)                     # back to the start, to branch
    ex = Exercise.open("out/session1")   # after a crash or Ctrl-C: as last saved

A session folder (``SESSION_DIR``) holds::

    exercise.yaml            the exercise as started (its scenario path made absolute)
    current.snap             the whole session now: state, log, session and status-quo models
    snapshots/turn-KK.snap   the same after turn KK (00: the start of turn 1)
    session.json, log.jsonl  readable copies of the state and of the event log
    briefs/turn-KK/TEAM.md   each team's briefing after turn KK (and facilitator.md)

Every file is written atomically (temporary file, fsync, rename), and the session folder is
changed only after an operation has succeeded, so a crash or Ctrl-C in the middle of a turn
leaves the session as it was before that turn. The session model runs the trainees'
decisions and the injects; a *status-quo* model, with the same seed and the same injects at the
same weeks but no decisions, runs beside it for the live scorecard.
"""

from __future__ import annotations

import contextlib
import copy
import datetime as _dt
import json
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import yaml

from sim import snapshot
from sim.errors import ScenarioError
from sim.metrics import METRICS, REGION_FIELDS
from sim.model import TocModel
from sim.output import make_folder
from sim.yamlio import read_text, shorten

from . import views
from .actions import apply_action
from .spec import (
    DECISION_FIELDS,
    LoadedExercise,
    Submission,
    exercise_from_dict,
    load_exercise,
    load_submission,
    parse,
    read_yaml,
)

CURRENT = "current.snap"
SNAPSHOTS = "snapshots"
MAX_REL_EFFECT = 10.0  # stated expected effects: relative changes in [-1, 10]


def _now() -> str:
    return _dt.datetime.now(_dt.UTC).isoformat(timespec="seconds")


def _write_atomic(path: Path, text: str) -> None:
    from analysis.store import write_atomic

    path.parent.mkdir(parents=True, exist_ok=True)
    write_atomic(path, text.encode())


def _jsonable(x):
    return json.loads(json.dumps(x, default=lambda o: o.item() if hasattr(o, "item") else str(o)))


class Exercise:
    """A running exercise in a session folder. See the module docstring."""

    def __init__(self, ex: LoadedExercise, out: Path, model: TocModel, status_quo: TocModel,
                 state: dict[str, Any], log: list[dict[str, Any]]):
        self.ex, self.out = ex, Path(out)
        self.model, self.status_quo = model, status_quo
        self.state, self.log = state, log

    # ------------------------------------------------------------------ creating, opening
    @classmethod
    def new(cls, exercise: str | Path | LoadedExercise, out: str | Path) -> Exercise:
        """Start a session of ``exercise`` in the new folder ``out`` (refused if it holds
        one): build the models and simulate the warm-up weeks."""
        ex = exercise if isinstance(exercise, LoadedExercise) else load_exercise(exercise)
        out = Path(out)
        if (out / CURRENT).exists():
            raise ScenarioError(f"{out}: holds a session already; choose another --out, or "
                                "continue it with status/submit/advance")
        make_folder(out)  # before the warm-up: a file in the way is one line, not a traceback
        model = TocModel(ex.scenario, checks=False)
        sq = TocModel(ex.scenario, checks=False)
        for _ in range(ex.spec.warmup_weeks):
            model.step()
            sq.step()
        state = {"turn": 1, "locked": False, "finished": False, "pending": {},
                 "decisions": [], "actions": [], "fired": {},
                 "budget_factor": {t: 1.0 for t in ex.teams}, "briefs": {}}
        self = cls(ex, out, model, sq, state, [])
        (out / SNAPSHOTS).mkdir(exist_ok=True)  # out: made before the warm-up
        _write_atomic(out / "exercise.yaml", yaml.safe_dump(ex.raw, sort_keys=False))
        self._event("new", exercise=ex.source, seed=ex.scenario.seed, weeks=ex.weeks)
        self._save(turn_snapshot=0)
        return self

    @classmethod
    def open(cls, out: str | Path) -> Exercise:
        """Reopen the session saved in ``out``."""
        out = Path(out)
        if not (out / CURRENT).is_file():
            raise ScenarioError(f"{out}: no exercise session here ({CURRENT} missing); start "
                                "one with `tocsim exercise new EXERCISE.yaml --out DIR`")
        ex = exercise_from_dict(read_yaml(out / "exercise.yaml"), str(out / "exercise.yaml"),
                                out.resolve())
        b = snapshot.load(out / CURRENT)
        return cls(ex, out, b["model"], b["status_quo"], b["state"], b["log"])

    # ------------------------------------------------------------------ saving
    def _bundle(self) -> dict[str, Any]:
        return {"model": self.model, "status_quo": self.status_quo, "state": self.state,
                "log": self.log}

    def _save(self, turn_snapshot: int | None = None) -> None:
        if turn_snapshot is not None:
            snapshot.save({**self._bundle(), "log": []},
                          self.out / SNAPSHOTS / f"turn-{turn_snapshot:02d}.snap")
        snapshot.save(self._bundle(), self.out / CURRENT)
        _write_atomic(self.out / "session.json",
                      json.dumps(_jsonable(self.status()), indent=1) + "\n")
        _write_atomic(self.out / "log.jsonl",
                      "".join(json.dumps(_jsonable(e)) + "\n" for e in self.log))

    def _event(self, kind: str, **info) -> dict[str, Any]:
        e = {"seq": len(self.log), "time": _now(), "kind": kind, "turn": self.state["turn"],
             "week": self.model.week, **info}
        self.log.append(_jsonable(e))
        return e

    # ------------------------------------------------------------------ properties
    @property
    def turn(self) -> int:
        """The turn being prepared (1-based); ``turns + 1`` once finished."""
        return self.state["turn"]

    @property
    def finished(self) -> bool:
        return self.state["finished"]

    def team_budget(self, team: str) -> float:
        return self.ex.teams[team].budget * self.state["budget_factor"][team]

    def _active(self, team: str, week: int, extra_stops: set[str] = frozenset()) -> list[dict]:
        out = []
        for d in self.state["decisions"]:
            if d["team"] != team or d["name"] in extra_stops:
                continue
            end = d.get("last_week")
            if d["week"] <= week and (end is None or end >= week):
                out.append(d)
        return out

    def committed(self, team: str) -> float:
        """USD/week of the team's decisions funded at the start of the current turn (with its
        pending submission)."""
        w = self.ex.turn_start(min(self.turn, self.ex.spec.turns))
        pend = self.state["pending"].get(team, {})
        stops = set(pend.get("stop", []))
        now = sum(d["entry"]["budget"] for d in self._active(team, w, stops))
        return now + sum(d["budget"] for d in pend.get("decisions", []))

    # ------------------------------------------------------------------ submitting
    def check_submission(self, team: str, sub: Submission | dict, label: str = "<submission>"
                         ) -> list[str]:
        """Every problem with ``sub`` as team ``team``'s decisions for the current turn."""
        if isinstance(sub, dict):
            try:
                sub = parse(Submission, sub, label)
            except ScenarioError as exc:
                return exc.lines
        errs: list[str] = []
        if team not in self.ex.teams:
            return [f"{label}: team: unknown team {team!r}; valid: {', '.join(self.ex.teams)}"]
        if self.finished:
            return [f"{label}: the exercise is over (all {self.ex.spec.turns} turns played); "
                    "run the debrief"]
        if self.state["locked"]:
            return [f"{label}: turn {self.turn} is locked; submissions are closed until it is "
                    "advanced"]
        if sub.team is not None and sub.team != team:
            errs.append(f"{label}: team: the file is for team {sub.team!r}, submitted as "
                        f"{team!r}")
        if sub.turn is not None and sub.turn != self.turn:
            errs.append(f"{label}: turn: stale turn: the file is for turn {sub.turn}, the "
                        f"exercise is at turn {self.turn}")
        spec = self.ex.teams[team]
        w0 = self.ex.turn_start(self.turn)
        taken = {d["name"] for d in self.state["decisions"]}
        taken |= {d["name"] for t, p in self.state["pending"].items() if t != team
                  for d in p.get("decisions", [])}
        taken |= {e.get("name") for i in self.ex.spec.injects for e in i.effect.interventions}
        taken |= {iv.name for iv in self.model.interventions}
        active = {d["name"] for d in self._active(team, w0)}
        for j, name in enumerate(sub.stop):
            if name not in active:
                errs.append(f"{label}: stop[{j}]: {name!r} is not an active decision of team "
                            f"{team}; active: {', '.join(sorted(active)) or '(none)'}")
        entries = []
        names: set[str] = set()
        for i, d in enumerate(sub.decisions):
            where = f"{label}: decisions[{i}]"
            dup = d.name in taken or d.name in names
            if dup:
                errs.append(f"{where}.name: {d.name!r} is already used; decision names must be "
                            "unique in the session")
            names.add(d.name)
            derrs, entry = self._check_decision(spec, d, where, w0)
            errs.extend(derrs)
            if entry is not None and not derrs and not dup:
                entries.append((i, entry))
        if entries:
            errs.extend(self.model.check_new_interventions([e for _, e in entries], label))
        if not errs:
            stops = set(sub.stop)
            total = sum(d["entry"]["budget"] for d in self._active(team, w0, stops))
            total += sum(d.budget for d in sub.decisions)
            cap = self.team_budget(team)
            if total > cap * (1 + 1e-12):
                errs.append(f"{label}: over budget: team {team} would commit {total:,.0f} "
                            f"USD/week in turn {self.turn}, its budget is {cap:,.0f} "
                            "(stop a decision or lower a budget)")
        return errs

    def _check_decision(self, team, d, where: str, w0: int):
        items = [m for m in team.menu if m.type == d.type]
        if not items:
            allowed = ", ".join(sorted({m.type for m in team.menu}))
            return [f"{where}.type: {d.type!r} is not on team {team.name}'s menu; allowed: "
                    f"{allowed}"], None
        extra = {k: v for k, v in (d.model_extra or {}).items()}
        best = None
        for item in items:  # the first menu item that allows the decision, else its errors
            errs = []
            lo, hi = item.budget
            if not lo <= d.budget <= hi:
                errs.append(f"{where}.budget: {d.budget:,.0f} USD/week is outside the menu's "
                            f"range [{lo:,.0f}, {hi:,.0f}]")
            for key, val in d.targets.items():
                allowed = item.targets.get(key)
                if allowed is None:
                    errs.append(f"{where}.targets.{key}: not allowed for {d.type} on this menu"
                                + (f"; allowed: {', '.join(item.targets)}" if item.targets
                                   else " (no targets may be chosen)"))
                elif key == "top_n":
                    if isinstance(val, bool) or not isinstance(val, int) or not 1 <= val <= allowed:
                        errs.append(f"{where}.targets.top_n: expected 1 to {allowed}, got {val!r}")
                else:
                    vals = val if isinstance(val, list) else [val]
                    bad = [v for v in vals if v not in allowed]
                    if bad:
                        errs.append(f"{where}.targets.{key}: {', '.join(map(str, bad))} not "
                                    f"allowed; allowed: {', '.join(map(str, allowed))}")
            for key, val in extra.items():
                rng = item.fields.get(key)
                if rng is None:
                    valid = ", ".join(list(DECISION_FIELDS) + list(item.fields))
                    errs.append(f"{where}.{key}: unknown or not allowed field; valid: {valid}")
                elif isinstance(rng, list) and len(rng) == 2 and all(
                        isinstance(x, int | float) and not isinstance(x, bool) for x in rng):
                    if isinstance(val, bool) or not isinstance(val, int | float) \
                            or not rng[0] <= val <= rng[1]:
                        errs.append(f"{where}.{key}: expected a number in [{rng[0]}, {rng[1]}], "
                                    f"got {val!r}")
                elif isinstance(rng, list) and val not in rng:
                    errs.append(f"{where}.{key}: {val!r} not allowed; allowed: "
                                f"{', '.join(map(str, rng))}")
            for key, val in d.expected.items():
                metric = self.ex.objective_metric(key)
                if metric not in METRICS:
                    errs.append(f"{where}.expected.{key}: unknown metric or objective")
                elif not -1.0 <= val <= MAX_REL_EFFECT:
                    errs.append(f"{where}.expected.{key}: a relative change (-0.2 = 20% lower) "
                                f"between -1 and {MAX_REL_EFFECT:g}, got {val}")
            if not errs:
                return [], self._entry(d, extra, w0)
            best = best or errs
        return best, None

    def _entry(self, d, extra: dict, w0: int) -> dict[str, Any]:
        entry = {"type": d.type, "name": d.name, "start_week": w0, "budget": float(d.budget),
                 **copy.deepcopy(extra)}
        if d.targets:
            entry["targets"] = copy.deepcopy(d.targets)
        if d.turns is not None:
            entry["end_week"] = min(w0 + d.turns * self.ex.spec.turn_weeks, self.ex.weeks) - 1
        return entry

    def submit(self, team: str, sub: Submission | dict | str | Path,
               label: str | None = None) -> dict[str, Any]:
        """Record team ``team``'s decisions for the current turn (replacing an earlier
        submission of this turn). ``sub`` is a :class:`Submission`, a dict or a YAML file.
        Raises :class:`ScenarioError` with one line per problem; nothing is recorded then."""
        if isinstance(sub, str | Path):
            label = label or str(sub)
            sub = load_submission(sub)
        label = label or "<submission>"
        if isinstance(sub, dict):
            sub = parse(Submission, sub, label)
        errs = self.check_submission(team, sub, label)
        if errs:
            raise ScenarioError(errs)
        record = {"decisions": [d.model_dump() for d in sub.decisions], "stop": list(sub.stop)}
        self.state["pending"][team] = record
        self._event("submit", team=team, submission=record)
        self._save()
        return record

    def lock(self) -> None:
        """Close submissions for the current turn."""
        self._refuse_if_finished()
        if not self.state["locked"]:
            self.state["locked"] = True
            self._event("lock")
            self._save()

    def _refuse_if_finished(self) -> None:
        if self.finished:
            raise ScenarioError(f"{self.out}: the exercise is over (all {self.ex.spec.turns} "
                                "turns played); run the debrief, or rewind")

    # ------------------------------------------------------------------ injects
    def fire_inject(self, name: str) -> dict[str, Any]:
        """Fire inject ``name`` now (the facilitator's choice), before the next turn."""
        self._refuse_if_finished()
        if name not in self.ex.injects:
            raise ScenarioError(f"inject: unknown inject {name!r}; valid: "
                                f"{', '.join(self.ex.injects) or '(none)'}")
        if name in self.state["fired"]:
            f = self.state["fired"][name]
            raise ScenarioError(f"inject: {name!r} already fired at week {f['week']} (turn "
                                f"{f['turn']})")
        self._event("fire", name=name)
        action = self._fire(name, "facilitator")
        self._save()
        return action

    def _fire(self, name: str, how: str) -> dict[str, Any]:
        inj = self.ex.injects[name]
        eff = inj.effect.model_dump(exclude_defaults=True)
        action = {"week": self.model.week, "kind": "inject", "name": name, "how": how,
                  "effect": eff}
        apply_action(self.model, action)
        apply_action(self.status_quo, action)
        if inj.effect.budget:
            b = inj.effect.budget
            self.state["budget_factor"][b["team"]] *= float(b["factor"])
        self.state["actions"].append(action)
        self.state["fired"][name] = {"week": self.model.week, "turn": self.turn, "how": how}
        if how != "facilitator":
            self._event("inject", name=name, how=how)
        return action

    def _due(self, week: int, first: bool) -> list[tuple[str, str]]:
        out = []
        for name, inj in self.ex.injects.items():
            if name in self.state["fired"]:
                continue
            if inj.at is not None:
                if inj.at.turn is not None and first and inj.at.turn == self.turn:
                    out.append((name, "turn"))
                elif inj.at.week is not None and inj.at.week == week:
                    out.append((name, "week"))
            elif inj.when is not None and self.turn >= inj.when.from_turn:
                if self._condition(inj.when):
                    out.append((name, "condition"))
        return out

    def _condition(self, c) -> bool:
        m, n = self.model, self.model.week
        k = min(c.window_weeks, n)
        if k == 0:
            return False
        if c.region is None:
            col = m.metric_names.index(c.metric)
            v = float(np.mean(m.metrics[n - k:n, col]))
        else:
            r = m.world.region_names.index(c.region)
            v = float(np.mean(m.region_metrics[n - k:n, r, REGION_FIELDS.index(c.metric)]))
        return v > c.above if c.above is not None else v < c.below

    # ------------------------------------------------------------------ advancing
    def advance(self) -> dict[str, Any]:
        """Simulate the current turn: the pending decisions become interventions from the
        turn's first week, injects fire when due (at a turn, at a week, or when their
        condition holds on the last weeks simulated), then the turn is saved and briefed.
        Locks the turn first if it is not locked. Returns the turn's outcome.

        A turn that raises part way (a bug, or Ctrl-C) leaves this object as the session was
        last saved, as on disk: the turn not played, its submissions pending, so that the
        same object (the web app's) can advance again."""
        self._refuse_if_finished()
        try:
            return self._advance()
        except BaseException:
            b = snapshot.load(self.out / CURRENT)
            self.model, self.status_quo, self.state, self.log = (
                b["model"], b["status_quo"], b["state"], b["log"])
            raise

    def _advance(self) -> dict[str, Any]:
        if not self.state["locked"]:
            self.state["locked"] = True
            self._event("lock")
        self._event("advance")
        turn, w0 = self.turn, self.ex.turn_start(self.turn)
        for team in sorted(self.state["pending"]):  # a fixed order: replay gives the same
            sub = self.state["pending"][team]
            for name in sub["stop"]:
                action = {"week": w0, "kind": "stop", "team": team, "name": name}
                apply_action(self.model, action)
                self.state["actions"].append(action)
                for d in self.state["decisions"]:
                    if d["name"] == name:
                        d["last_week"] = w0 - 1
            for dec in sub["decisions"]:
                extra = {k: v for k, v in dec.items() if k not in DECISION_FIELDS}
                entry = self._entry(parse_decision(dec), extra, w0)
                action = {"week": w0, "kind": "decision", "team": team, "name": dec["name"],
                          "entry": entry}
                apply_action(self.model, action)
                self.state["actions"].append(action)
                self.state["decisions"].append({
                    "name": dec["name"], "team": team, "turn": turn, "week": w0,
                    "entry": entry, "last_week": entry.get("end_week"),
                    "expected": dec.get("expected") or {}, "why": dec.get("why", "")})
        for week in range(w0, w0 + self.ex.spec.turn_weeks):
            for name, how in self._due(week, first=week == w0):
                self._fire(name, how)
            self.model.step()
            self.status_quo.step()
        self.state["pending"] = {}
        self.state["locked"] = False
        self.state["turn"] = turn + 1
        if turn == self.ex.spec.turns:
            self.state["finished"] = True
        outcome = self._outcome(turn)
        self.state["briefs"][str(turn)] = {t: self.brief(t, turn) for t in self.ex.teams}
        self._event("outcome", played=turn, **outcome)
        self._save(turn_snapshot=turn)
        self._write_briefs(turn)
        return outcome

    def _outcome(self, turn: int) -> dict[str, Any]:
        w0 = self.ex.turn_start(turn)
        fac = views.facilitator_view(w0, w0 + self.ex.spec.turn_weeks,
                                     self.model.metrics_frame(), self.status_quo.metrics_frame(),
                                     [self.ex.objective_metric(k) for k in self.ex.spec.scorecard])
        return {"metrics": {r["metric"]: r["session"] for r in fac},
                "status_quo": {r["metric"]: r["status_quo"] for r in fac},
                "score": self.scorecard()["total"]}

    # ------------------------------------------------------------------ briefing
    def brief(self, team: str, turn: int | None = None) -> dict[str, Any]:
        """Team ``team``'s briefing after turn ``turn`` (default: the last played): its
        budget, its decisions, the injects aimed at it, and its intelligence estimates
        (delayed and noisy, see :mod:`training.views`)."""
        if team not in self.ex.teams:
            raise ScenarioError(f"team: unknown team {team!r}; valid: {', '.join(self.ex.teams)}")
        played = self.turn - 1 if turn is None else turn
        if played < 1:
            return {"team": team, "turn": 0, "budget": self.team_budget(team),
                    "committed": self.committed(team), "estimates": [], "injects": [],
                    "decisions": [], "note": "the exercise has not started: no estimates yet",
                    "objectives": self.ex.spec.objectives}
        if str(played) in self.state["briefs"] and team in self.state["briefs"][str(played)]:
            return self.state["briefs"][str(played)][team]
        spec, w0 = self.ex.teams[team], self.ex.turn_start(played)
        w1 = w0 + self.ex.spec.turn_weeks
        est = views.team_view(spec.sees, self.ex.scenario.seed, team, played, w0, w1,
                              self.model.metrics_frame(), self.model.regions_frame())
        injects = [{"name": n, "week": f["week"], "brief": self.ex.injects[n].brief}
                   for n, f in self.state["fired"].items()
                   if f["turn"] == played and (not self.ex.injects[n].teams
                                               or team in self.ex.injects[n].teams)]
        decisions = [{"name": d["name"], "type": d["entry"]["type"],
                      "budget": d["entry"]["budget"], "from_week": d["week"],
                      "last_week": d["last_week"]}
                     for d in self._active(team, min(w1, self.ex.weeks - 1))]
        return {"team": team, "turn": played, "weeks": f"{w0}-{w1 - 1}",
                "budget": self.team_budget(team), "committed": self.committed(team),
                "decisions": decisions, "injects": injects, "estimates": est,
                "delay_weeks": spec.sees.delay_weeks, "noise": spec.sees.noise,
                "objectives": self.ex.spec.objectives}

    def _write_briefs(self, turn: int) -> None:
        from .briefing import facilitator_markdown, team_markdown

        d = self.out / "briefs" / f"turn-{turn:02d}"
        for t in self.ex.teams:
            _write_atomic(d / f"{t}.md", team_markdown(self.brief(t, turn)))
        _write_atomic(d / "facilitator.md", facilitator_markdown(self.status()))

    # ------------------------------------------------------------------ facilitator
    def scorecard(self) -> dict[str, Any]:
        """The scorecard so far (exercise weeks simulated): each objective's mean in the
        session and in its status-quo shadow (same seed and injects, no decisions), the
        points ``sign * (session - status quo) / scale`` and the weighted total."""
        a, b = self.ex.spec.warmup_weeks, self.model.week
        rows, total = [], 0.0
        for key, obj in self.ex.spec.scorecard.items():
            metric = self.ex.objective_metric(key)
            if b <= a:
                rows.append({"objective": key, "metric": metric, "weight": obj.weight,
                             "session": None, "status_quo": None, "points": 0.0})
                continue
            col = self.model.metric_names.index(metric)
            s = float(self.model.metrics[a:b, col].mean())
            q = float(self.status_quo.metrics[a:b, col].mean())
            pts = points(s, q, obj)
            total += obj.weight * pts
            rows.append({"objective": key, "metric": metric, "weight": obj.weight,
                         "session": s, "status_quo": q, "points": pts})
        return {"rows": rows, "total": total, "weeks": f"{a}-{b - 1}" if b > a else ""}

    def status(self) -> dict[str, Any]:
        """The facilitator's view: where the session stands, what each team has committed and
        submitted, the injects fired and the live scorecard (true values)."""
        return {
            "exercise": self.ex.spec.name, "title": self.ex.spec.title, "out": str(self.out),
            "seed": self.ex.scenario.seed, "turn": self.turn, "turns": self.ex.spec.turns,
            "turn_weeks": self.ex.spec.turn_weeks, "week": self.model.week,
            "locked": self.state["locked"], "finished": self.finished,
            "teams": [{"team": t, "budget": self.team_budget(t), "committed": self.committed(t),
                       "submitted": t in self.state["pending"],
                       "active": [d["name"] for d in self._active(
                           t, self.ex.turn_start(min(self.turn, self.ex.spec.turns)))]}
                      for t in self.ex.teams],
            "fired": self.state["fired"],
            "pending_injects": [n for n in self.ex.injects if n not in self.state["fired"]],
            "decisions": len(self.state["decisions"]),
            "scorecard": self.scorecard(),
        }

    # ------------------------------------------------------------------ rewind, branch
    def rewind(self, turn: int) -> None:
        """Go back to the end of turn ``turn`` (0: the start of turn 1), restoring the exact
        state saved then. The log keeps everything (a ``rewind`` event marks the branch);
        snapshots of later turns are removed."""
        played = self.turn - 1
        if not 0 <= turn <= played:
            raise ScenarioError(f"--turn: {turn}: can rewind to a turn from 0 to {played} (the "
                                "turns played)")
        b = snapshot.load(self.out / SNAPSHOTS / f"turn-{turn:02d}.snap")
        self.model, self.status_quo, self.state = b["model"], b["status_quo"], b["state"]
        self._event("rewind", to_turn=turn)
        for k in range(turn + 1, played + 1):
            (self.out / SNAPSHOTS / f"turn-{k:02d}.snap").unlink(missing_ok=True)
            shutil.rmtree(self.out / "briefs" / f"turn-{k:02d}", ignore_errors=True)
        self._save()

    def branch(self, turn: int, out: str | Path) -> Exercise:
        """A new session in ``out`` that starts from this one's turn ``turn``: this session
        is left as it is."""
        out = Path(out)
        if (out / CURRENT).exists():
            raise ScenarioError(f"{out}: holds a session already; choose another folder")
        played = self.turn - 1
        if not 0 <= turn <= played:
            raise ScenarioError(f"--turn: {turn}: can branch from a turn from 0 to {played}")
        (out / SNAPSHOTS).mkdir(parents=True, exist_ok=True)
        shutil.copy2(self.out / "exercise.yaml", out / "exercise.yaml")
        for k in range(turn + 1):
            shutil.copy2(self.out / SNAPSHOTS / f"turn-{k:02d}.snap",
                         out / SNAPSHOTS / f"turn-{k:02d}.snap")
        b = snapshot.load(out / SNAPSHOTS / f"turn-{turn:02d}.snap")
        new = Exercise(self.ex, out, b["model"], b["status_quo"], b["state"],
                       copy.deepcopy(self.log))
        new._event("branch", source=str(self.out), from_turn=turn)
        new._save()
        return new

    # ------------------------------------------------------------------ timelines
    def timeline(self, drop: set[str] = frozenset(), decisions: bool = True) -> list[dict]:
        """The session's actions (decisions, stops, injects, in order), without the decisions
        named in ``drop`` (and their stops), or without any decision."""
        out = []
        for a in self.state["actions"]:
            if a["kind"] in ("decision", "stop") and (not decisions or a["name"] in drop):
                continue
            out.append(a)
        return out


def points(session: float, status_quo: float, obj) -> float:
    """An objective's points: ``+-(session - status quo) / scale``, positive when better;
    ``scale`` is the objective's, or ``|status quo|`` (points are then relative changes)."""
    scale = obj.scale if obj.scale is not None else abs(status_quo)
    if not scale:
        return 0.0
    sign = 1.0 if obj.better == "higher" else -1.0
    return sign * (session - status_quo) / scale


def parse_decision(dec: dict):
    from .spec import Decision

    return Decision.model_validate(dec)


@contextlib.contextmanager
def one_command_session(out: str | Path) -> Iterator[None]:
    """For a command that starts a session in ``out`` and plays it through (``play_script``,
    :func:`replay`): if it fails part way (a submission the script gets wrong, a log that
    does not reproduce, Ctrl-C), what it wrote is removed (the folder too, if it made it), so
    that no half-played session is left and the same command can simply be run again."""
    out = Path(out)
    made = not out.exists()
    before = set() if made or not out.is_dir() else set(out.iterdir())
    try:
        yield
    except BaseException:
        if made:
            shutil.rmtree(out, ignore_errors=True)
        elif out.is_dir():
            for p in set(out.iterdir()) - before:
                if p.is_dir() and not p.is_symlink():
                    shutil.rmtree(p, ignore_errors=True)
                else:
                    p.unlink(missing_ok=True)
        raise


# The fields replay reads, by event kind, with their types (other kinds are not replayed).
_REPLAYED: dict[str, dict[str, type]] = {
    "new": {}, "lock": {}, "advance": {}, "submit": {"team": str, "submission": dict},
    "fire": {"name": str}, "rewind": {"to_turn": int}, "inject": {"name": str, "week": int},
}
_TYPE_WORDS = {str: "text", dict: "an object", int: "a whole number"}
_MAX_LOG_PROBLEMS = 10


def read_log(log: list[dict] | str | Path) -> list[tuple[str, dict]]:
    """The events of ``log`` (a list, or a ``log.jsonl`` file) as ``(where, event)``, where is
    ``FILE: line N`` or ``log[i]``. Raises :class:`ScenarioError` with one line per problem
    (a line that is not JSON, an event without a ``kind``, a replayed event missing a field
    or holding the wrong type), at most ten of them."""
    errs: list[str] = []
    if isinstance(log, str | Path):
        path = Path(log)
        items = []
        for n, line in enumerate(read_text(path).splitlines(), 1):
            if not line.strip():
                continue
            try:
                items.append((f"{path}: line {n}", json.loads(line)))
            except json.JSONDecodeError as exc:
                errs.append(f"{path}: line {n}: not JSON ({exc.msg}, column {exc.colno})")
            except RecursionError:
                errs.append(f"{path}: line {n}: nested too deeply")
    else:
        items = [(f"log[{i}]", e) for i, e in enumerate(log)]
    for where, e in items:
        if not isinstance(e, dict) or not isinstance(e.get("kind"), str):
            errs.append(f"{where}: not an event (an object with a 'kind')")
            continue
        for field, typ in _REPLAYED.get(e["kind"], {}).items():
            v = e.get(field)
            if field not in e:
                errs.append(f"{where}: {e['kind']} event without {field!r}")
            elif not isinstance(v, typ) or isinstance(v, bool):
                errs.append(f"{where}: {e['kind']} event: {field!r} must be "
                            f"{_TYPE_WORDS[typ]}, got {shorten(v)}")
    if errs:
        more = len(errs) - _MAX_LOG_PROBLEMS
        raise ScenarioError(errs[:_MAX_LOG_PROBLEMS] + ([f"... and {more} more"] if more > 0
                                                        else []))
    return items


def replay(log: list[dict] | str | Path, out: str | Path,
           exercise: str | Path | None = None) -> Exercise:
    """Re-run a session from its event log into the new folder ``out``: every submission,
    lock, advance, facilitator inject, rewind and branch-point in order. Injects that fired by
    themselves must fire again at the same weeks (checked), and the result is the same
    session, byte for byte. A log that is not one is refused naming the line
    (:func:`read_log`); a replay that fails or is interrupted leaves nothing in ``out``
    (:func:`one_command_session`)."""
    items = read_log(log)
    label = str(log) if isinstance(log, str | Path) else "log"
    i = next((j for j, (_, e) in enumerate(items) if e["kind"] == "new"), None)
    if i is None:
        raise ScenarioError(f"{label}: no 'new' event: not an exercise log")
    where, start = items[i]
    exercise = exercise or start.get("exercise")
    if not isinstance(exercise, str | Path):
        raise ScenarioError(f"{where}: the new event names no exercise file; give one "
                            "(--exercise)")
    with one_command_session(out):
        return _replay(items[i + 1:], out, exercise)


def _replay(items: list[tuple[str, dict]], out, exercise) -> Exercise:
    ex = Exercise.new(exercise, out)
    for where, e in items:
        k = e["kind"]
        if k == "submit":
            ex.submit(e["team"], e["submission"], label=where)
        elif k == "lock":
            ex.lock()
        elif k == "advance":
            ex.advance()
        elif k == "fire":
            ex.fire_inject(e["name"])
        elif k == "rewind":
            ex.rewind(e["to_turn"])
        elif k == "inject":
            got = ex.state["fired"].get(e["name"])
            if got is None or got["week"] != e["week"]:
                now = "not at all" if got is None else f"at week {got['week']}"
                raise ScenarioError(f"{where}: inject {e['name']!r} fired at week "
                                    f"{e['week']} in the log but {now} in the replay")
    return ex
