"""Exercise files (``exercises/*.yaml``) and decision files: reading and validation.

An exercise file::

    name: border-finance
    title: Border and finance
    scenario: ../scenarios/baseline.yaml   # any scenario file (relative to this file)
    seed: 42                               # optional: overrides the scenario's seed
    warmup_weeks: 52                       # weeks simulated before turn 1 (not scored)
    turn_weeks: 13                         # a quarter
    turns: 8
    objectives: [learning objective, ...]
    teams:
      - name: Enforcement
        budget: 2.0e7                      # USD/week the team may commit in a turn
        menu:
          - type: interdiction
            budget: [1.0e6, 1.5e7]         # allowed USD/week of one decision
            targets: {corridors: ["Mexico-United States"], regions: [Mexico, Guatemala]}
            fields: {ramp_weeks: [0, 26]}  # other intervention fields it may set, with ranges
        sees: {metrics: [seizures, homicides], regions: [Mexico], region_fields: [homicides],
               delay_weeks: 4, noise: 0.15}
    injects:
      - name: prison-break
        at: {turn: 3}                      # or {week: 120}, or when: {...} (a condition)
        teams: [Enforcement]
        brief: "Text read to the targeted teams"
        expected_action: "What the facilitator expects them to do"
        effect: {release_prisoners: {share: 0.3, regions: [Mexico]}}
    scorecard:
      homicides: {weight: 0.4}             # lower is better unless better: higher
      cost: {weight: 0.1, scale: 1.0e8}    # scale: change worth one point (default |status quo|)

A decision file (one team's submission for one turn, or a scripted plan for every turn)::

    team: Enforcement
    turn: 1
    decisions:
      - name: border-surge
        type: interdiction
        budget: 8.0e6
        targets: {corridors: ["Mexico-United States"]}
        turns: 4                           # optional: funded for 4 turns (default: to the end)
        expected: {seizures: 0.2, homicides: 0.05}   # stated relative effects vs status quo
        why: "The land border carries most of the flow"
    stop: [earlier-decision]               # end earlier decisions from this turn on
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from sim import load_scenario
from sim.errors import ScenarioError, pydantic_lines
from sim.interventions import REGISTRY, check_interventions
from sim.interventions.base import COMMON_FIELDS, check_targets
from sim.live import MAX_SHOCK_FACTOR, SHOCKABLE_LEVERS
from sim.metrics import METRICS, REGION_FIELDS
from sim.params import check_overrides
from sim.yamlio import read_yaml as _read_yaml

# Objectives a scorecard may name: metric names, and "cost" for the interventions' cost.
OBJECTIVE_ALIASES = {"cost": "intervention_cost"}
# Fields of a decision besides the intervention's own.
DECISION_FIELDS = ("name", "type", "budget", "targets", "turns", "expected", "why")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class MenuItem(_Strict):
    type: str
    budget: tuple[float, float] = Field(description="allowed USD/week of one decision")
    targets: dict[str, Any] = {}
    fields: dict[str, Any] = {}

    @model_validator(mode="after")
    def _range(self):
        lo, hi = self.budget
        if not 0 <= lo <= hi:
            raise ValueError(f"budget: expected [min, max] with 0 <= min <= max, got {[lo, hi]}")
        return self


class Sees(_Strict):
    metrics: list[str] = []
    regions: list[str] = []
    region_fields: list[str] = []
    delay_weeks: int = Field(default=0, ge=0, le=520)
    noise: float = Field(default=0.0, ge=0.0, le=2.0)


class Team(_Strict):
    name: str = Field(min_length=1, pattern=r"^[A-Za-z0-9_. -]+$")
    description: str = ""
    budget: float = Field(ge=0)
    menu: list[MenuItem] = Field(min_length=1)
    sees: Sees = Sees()


class Trigger(_Strict):
    turn: int | None = Field(default=None, ge=1)
    week: int | None = Field(default=None, ge=0)


class Condition(_Strict):
    metric: str
    region: str | None = None
    above: float | None = None
    below: float | None = None
    window_weeks: int = Field(default=1, ge=1, le=520)
    from_turn: int = Field(default=1, ge=1)


class Effect(_Strict):
    interventions: list[dict[str, Any]] = []
    params: dict[str, Any] = {}
    lever: dict[str, Any] | None = None
    release_prisoners: dict[str, Any] | None = None
    split: dict[str, Any] | None = None
    budget: dict[str, Any] | None = None


class Inject(_Strict):
    name: str = Field(min_length=1, pattern=r"^[A-Za-z0-9_.-]+$")
    at: Trigger | None = None
    when: Condition | None = None
    teams: list[str] = []
    brief: str = ""
    expected_action: str = ""
    objective: str = ""
    effect: Effect = Effect()


class Objective(_Strict):
    weight: float = Field(ge=0)
    better: Literal["lower", "higher"] = "lower"
    scale: float | None = Field(default=None, gt=0)


class ExerciseSpec(_Strict):
    name: str = Field(min_length=1)
    title: str = ""
    description: str = ""
    scenario: str
    seed: int | None = Field(default=None, ge=0, lt=2**63)
    warmup_weeks: int = Field(default=0, ge=0, le=5200)
    turn_weeks: int = Field(default=13, ge=1, le=520)
    turns: int = Field(default=8, ge=1, le=100)
    objectives: list[str] = []
    teams: list[Team] = Field(min_length=1)
    injects: list[Inject] = []
    scorecard: dict[str, Objective] = Field(min_length=1)


class Decision(_Strict):
    name: str = Field(min_length=1, pattern=r"^[A-Za-z0-9_.-]+$")
    type: str
    budget: float = Field(ge=0)
    targets: dict[str, Any] = {}
    turns: int | None = Field(default=None, ge=1)
    expected: dict[str, float] = {}
    why: str = ""
    model_config = ConfigDict(extra="allow")  # the intervention's own fields, checked by menu


class Submission(_Strict):
    team: str | None = None
    turn: int | None = Field(default=None, ge=1)
    decisions: list[Decision] = []
    stop: list[str] = []


class Script(_Strict):
    """A scripted exercise (``exercises/<name>.decisions.yaml``): submissions by turn, and
    injects the facilitator fires by hand (``fire``: inject names, fired before the turn)."""

    name: str = ""
    description: str = ""
    turns: dict[int, dict[str, Submission]] = {}
    fire: dict[int, list[str]] = {}


# ---------------------------------------------------------------------------- loading
def read_yaml(path: str | Path) -> dict:
    """An exercise, script or submission file, through the readers' one path
    (:func:`sim.yamlio.read_yaml`: size, UTF-8, NUL bytes, duplicate keys, nesting, aliases):
    a binary or hostile file is one line naming it, like a scenario."""
    return _read_yaml(Path(path))


def parse(model, raw: dict, label: str):
    try:
        return model.model_validate(raw)
    except ValidationError as exc:
        raise ScenarioError(pydantic_lines(exc, label, model=model)) from None


class LoadedExercise:
    """A validated exercise: the spec, its base scenario (weeks set to warm-up plus turns) and
    the source file."""

    def __init__(self, spec: ExerciseSpec, raw: dict, scenario, source: str):
        self.spec, self.raw, self.scenario, self.source = spec, raw, scenario, source
        self.teams = {t.name: t for t in spec.teams}
        self.injects = {i.name: i for i in spec.injects}

    @property
    def weeks(self) -> int:
        return self.spec.warmup_weeks + self.spec.turns * self.spec.turn_weeks

    def turn_start(self, turn: int) -> int:
        """The model week at which turn ``turn`` (1-based) starts."""
        return self.spec.warmup_weeks + (turn - 1) * self.spec.turn_weeks

    def objective_metric(self, name: str) -> str:
        return OBJECTIVE_ALIASES.get(name, name)


def load_exercise(path: str | Path) -> LoadedExercise:
    path = Path(path)
    return exercise_from_dict(read_yaml(path), str(path), path.resolve().parent)


def exercise_from_dict(raw: dict, label: str, base_dir: Path) -> LoadedExercise:
    spec = parse(ExerciseSpec, raw, label)
    scn_path = Path(spec.scenario)
    if not scn_path.is_absolute():
        scn_path = base_dir / scn_path
    weeks = spec.warmup_weeks + spec.turns * spec.turn_weeks
    try:
        scn = load_scenario(scn_path, seed=spec.seed, weeks=weeks)
    except ScenarioError as exc:
        raise ScenarioError([f"{label}: scenario: {line}" for line in exc.lines]) from None
    ex = LoadedExercise(spec, {**raw, "scenario": str(scn_path)}, scn, label)
    errors = _check_exercise(ex, label)
    if errors:
        raise ScenarioError(errors)
    return ex


def _check_exercise(ex: LoadedExercise, label: str) -> list[str]:
    spec, world = ex.spec, ex.scenario.world
    errs: list[str] = []
    seen: set[str] = set()
    for i, team in enumerate(spec.teams):
        where = f"{label}: teams[{i}]"
        if team.name in seen:
            errs.append(f"{where}.name: duplicate team {team.name!r}")
        seen.add(team.name)
        for j, item in enumerate(team.menu):
            w = f"{where}.menu[{j}]"
            if item.type not in REGISTRY:
                errs.append(f"{w}.type: unknown intervention type {item.type!r}; known: "
                            f"{', '.join(sorted(REGISTRY))}")
                continue
            errs.extend(e.replace(f"{w}.targets.targets", f"{w}.targets")
                        for e in check_targets(item.targets, world, w,  ()))
            cls = REGISTRY[item.type]
            allowed = set(COMMON_FIELDS) | set(cls.params) | set(cls.choices)
            for key in item.fields:
                if key in ("type", "name", "budget", "intensity", "targets", "start_week"):
                    errs.append(f"{w}.fields.{key}: set by the decision itself")
                elif key not in allowed:
                    errs.append(f"{w}.fields.{key}: unknown field for type {item.type!r}; "
                                f"valid: {', '.join(sorted(allowed))}")
        for m in team.sees.metrics:
            if m not in METRICS:
                errs.append(f"{where}.sees.metrics: unknown metric {m!r}")
        for r in team.sees.regions:
            if r not in world.region_names:
                errs.append(f"{where}.sees.regions: unknown region {r!r}; valid: "
                            f"{', '.join(world.region_names)}")
        for f in team.sees.region_fields:
            if f not in REGION_FIELDS:
                errs.append(f"{where}.sees.region_fields: unknown field {f!r}; valid: "
                            f"{', '.join(REGION_FIELDS)}")
    names: set[str] = set()
    for i, inj in enumerate(spec.injects):
        where = f"{label}: injects[{i}]"
        if inj.name in names:
            errs.append(f"{where}.name: duplicate inject {inj.name!r}")
        names.add(inj.name)
        if (inj.at is None) == (inj.when is None) and inj.at is not None:
            errs.append(f"{where}: give at or when, not both")
        if inj.at is not None and (inj.at.turn is None) == (inj.at.week is None):
            errs.append(f"{where}.at: give turn or week")
        if inj.at is not None and inj.at.turn is not None and inj.at.turn > spec.turns:
            errs.append(f"{where}.at.turn: {inj.at.turn} is after the last turn ({spec.turns})")
        if inj.at is not None and inj.at.week is not None and inj.at.week >= ex.weeks:
            errs.append(f"{where}.at.week: {inj.at.week} is after the last week ({ex.weeks - 1})")
        if inj.when is not None:
            c = inj.when
            if (c.above is None) == (c.below is None):
                errs.append(f"{where}.when: give above or below")
            if c.region is None and c.metric not in METRICS:
                errs.append(f"{where}.when.metric: unknown metric {c.metric!r}")
            if c.region is not None:
                if c.region not in world.region_names:
                    errs.append(f"{where}.when.region: unknown region {c.region!r}")
                if c.metric not in REGION_FIELDS:
                    errs.append(f"{where}.when.metric: {c.metric!r} is not a region field; "
                                f"valid: {', '.join(REGION_FIELDS)}")
        for t in inj.teams:
            if t not in ex.teams:
                errs.append(f"{where}.teams: unknown team {t!r}; valid: {', '.join(ex.teams)}")
        errs.extend(check_effect(inj.effect, ex, f"{where}.effect"))
    for key, obj in spec.scorecard.items():
        metric = ex.objective_metric(key)
        if metric not in METRICS:
            errs.append(f"{label}: scorecard.{key}: unknown objective; valid: cost or a metric "
                        f"({', '.join(METRICS)})")
        if metric == "intervention_cost" and obj.scale is None:
            errs.append(f"{label}: scorecard.{key}.scale: required for cost (USD/week worth one "
                        "point; the status quo costs nothing)")
    return errs


def check_effect(eff: Effect, ex: LoadedExercise, where: str) -> list[str]:
    """Static checks of an inject's effect (the model checks again when it is applied)."""
    world = ex.scenario.world
    errs: list[str] = []
    if eff.interventions:
        entries = [{"start_week": 0, **e} for e in eff.interventions]
        errs.extend(e.replace("interventions[", "interventions[")
                    for e in check_interventions(entries, world, where, ex.weeks))
        for i, e in enumerate(eff.interventions):
            if not e.get("name"):
                errs.append(f"{where}.interventions[{i}].name: required")
            if "start_week" in e:
                errs.append(f"{where}.interventions[{i}].start_week: set when the inject fires")
    if eff.params:
        errs.extend(f"{where}.{e}" for e in check_overrides(eff.params))
    if eff.lever is not None:
        lv = eff.lever
        extra = set(lv) - {"lever", "factor", "regions", "agencies"}
        if extra:
            errs.append(f"{where}.lever: unknown keys {sorted(extra)}; valid: lever, factor, "
                        "regions, agencies")
        if lv.get("lever") not in SHOCKABLE_LEVERS:
            errs.append(f"{where}.lever.lever: unknown lever {lv.get('lever')!r}; valid: "
                        f"{', '.join(SHOCKABLE_LEVERS)}")
        f = lv.get("factor")
        if isinstance(f, bool) or not isinstance(f, int | float) or not 0 <= f <= MAX_SHOCK_FACTOR:
            errs.append(f"{where}.lever.factor: expected a number between 0 and "
                        f"{MAX_SHOCK_FACTOR:g}, got {f!r}")
        if lv.get("regions") is not None:
            errs.extend(check_targets({"regions": lv["regions"]}, world, f"{where}.lever", ()))
        for a in lv.get("agencies") or []:
            if a not in world.agency_names:
                errs.append(f"{where}.lever.agencies: unknown agency {a!r}; valid: "
                            f"{', '.join(world.agency_names)}")
    if eff.release_prisoners is not None:
        rp = eff.release_prisoners
        extra = set(rp) - {"share", "regions"}
        if extra:
            errs.append(f"{where}.release_prisoners: unknown keys {sorted(extra)}; valid: "
                        "share, regions")
        s = rp.get("share")
        if isinstance(s, bool) or not isinstance(s, int | float) or not 0 <= s <= 1:
            errs.append(f"{where}.release_prisoners.share: expected a share between 0 and 1, "
                        f"got {s!r}")
        if rp.get("regions") is not None:
            errs.extend(check_targets({"regions": rp["regions"]}, world,
                                      f"{where}.release_prisoners", ()))
    if eff.split is not None:
        org = eff.split.get("organization")
        if set(eff.split) != {"organization"}:
            errs.append(f"{where}.split: expected {{organization: NAME}}")
        elif org not in world.org_names:
            errs.append(f"{where}.split.organization: unknown organization {org!r}; valid: "
                        f"{', '.join(world.org_names)}")
    if eff.budget is not None:
        b = eff.budget
        if set(b) - {"team", "factor"} or b.get("team") not in ex.teams:
            errs.append(f"{where}.budget: expected {{team: NAME, factor: F}} with a known team "
                        f"({', '.join(ex.teams)})")
        f = b.get("factor")
        if isinstance(f, bool) or not isinstance(f, int | float) or not 0 <= f <= 10:
            errs.append(f"{where}.budget.factor: expected a number between 0 and 10, got {f!r}")
    return errs


def load_submission(path: str | Path) -> Submission:
    path = Path(path)
    return parse(Submission, read_yaml(path), str(path))


def load_script(path: str | Path) -> Script:
    path = Path(path)
    return parse(Script, read_yaml(path), str(path))
