"""The explorer's controls, built from the model's declarations, and every change checked on
the server.

Parameters come from :data:`sim.params.PARAMS` (default, unit, range, source each); lever
fields from the intervention classes in :data:`sim.interventions.REGISTRY` (their ``params``,
``choices``, unit and unit cost) and the common fields of ``sim/interventions/base.py``. A
change is first checked against its declaration here (a one-line message naming the field, the
value and the range), then applied with :meth:`sim.Scenario.with_overrides`, which validates
the whole scenario again; a refused change raises :class:`EditRefused` and changes nothing.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sim import ScenarioError, load_scenario
from sim.interventions import REGISTRY
from sim.interventions.base import MAX_BUDGET
from sim.params import PARAMS, Param

MAX_WEEKS = 1040  # the explorer runs at most 20 years (sim allows 200: a batch job, not a page)
MAX_SEED = 2**31 - 1
LOG_RATIO = 1000.0  # a range wider than this (hi/lo, lo > 0) gets a logarithmic slider
SLIDER_STEPS = 200


class EditRefused(ValueError):
    """A change the server refused; ``str()`` is the message for the user."""


@dataclass(frozen=True)
class Control:
    """One input: its path in the scenario, label, unit, declared range and how to draw it.

    ``kind`` is ``int`` (whole numbers), ``linear`` (a slider over the range), ``log`` (a
    slider over log10 of the range, for ranges spanning many orders of magnitude), ``number``
    (an exact input only: a slider over the range would be too coarse) or ``choice`` (one of
    ``choices``). Every numeric control also has an exact input. ``scale`` converts the shown
    value to the scenario's (budgets are shown in million USD/week).
    """

    path: str
    label: str
    unit: str
    lo: float
    hi: float
    default: Any
    kind: str
    doc: str = ""
    source: str = ""
    choices: tuple[str, ...] = ()
    scale: float = 1.0

    @property
    def step(self) -> float:
        if self.kind == "int":
            return 1
        if self.kind == "log":
            return (math.log10(self.hi) - math.log10(self.lo)) / SLIDER_STEPS
        return (self.hi - self.lo) / SLIDER_STEPS

    def range_text(self) -> str:
        if self.kind == "choice":
            return "one of " + ", ".join(self.choices)
        return f"{self.lo:g} to {self.hi:g}" + (f" {self.unit}" if self.unit else "")

    def check(self, value: Any) -> Any:
        """The value as the scenario stores it, or :class:`EditRefused` (nothing changed)."""
        if self.kind == "choice":
            if value not in self.choices:
                raise EditRefused(f"{self.path}: {value!r} is not one of "
                                  f"{', '.join(self.choices)}; nothing changed")
            return value
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise EditRefused(f"{self.path}: expected a number, got {value!r}; nothing changed")
        if not math.isfinite(value):
            raise EditRefused(f"{self.path}: expected a finite number, got {value}; "
                              "nothing changed")
        if self.kind == "int" and float(value) != int(value):
            raise EditRefused(f"{self.path}: expected a whole number, got {value}; "
                              "nothing changed")
        if not self.lo <= value <= self.hi:
            raise EditRefused(f"{self.path}: {value:g} is out of range [{self.lo:g}, "
                              f"{self.hi:g}]" + (f" ({self.unit})" if self.unit else "")
                              + "; nothing changed")
        if self.kind == "int":
            return int(value)
        return float(value) * self.scale if self.scale != 1.0 else float(value)


def _kind(p: Param) -> str:
    """``int``; ``log`` when the range spans three orders of magnitude above 0; ``number`` (an
    exact input only) when a linear slider's step would dwarf the default; else ``linear``."""
    if p.kind is int:
        return "int"
    if p.lo > 0 and p.hi / p.lo >= LOG_RATIO:
        return "log"
    if p.default != 0 and (p.hi - p.lo) / SLIDER_STEPS > abs(p.default):
        return "number"
    return "linear"


def param_control(group: str, name: str) -> Control:
    """The control of parameter ``group.name``, from its declaration in sim/params.py."""
    if group not in PARAMS or name not in PARAMS[group]:
        raise EditRefused(f"params.{group}.{name}: unknown parameter; nothing changed")
    p = PARAMS[group][name]
    return Control(path=f"params.{group}.{name}", label=f"{group}.{name}", unit=p.unit,
                   lo=p.lo, hi=p.hi, default=p.kind(p.default), kind=_kind(p), doc=p.doc,
                   source=p.source)


def param_groups() -> list[str]:
    return list(PARAMS)


def param_names(group: str) -> list[str]:
    return list(PARAMS.get(group, {}))


def run_controls() -> list[Control]:
    """Weeks and seed: the two run settings the explorer lets a user change."""
    return [
        Control("weeks", "weeks", "weeks", 1, MAX_WEEKS, 520, "int",
                doc="weeks to simulate (the explorer's limit; batch runs allow more)"),
        Control("seed", "seed", "", 0, MAX_SEED, 0, "int", doc="the run's random seed"),
    ]


def lever_controls(entry: dict[str, Any], index: int, weeks: int) -> list[Control]:
    """The controls of intervention ``index``: its budget (or intensity), schedule and the
    type's own parameters and choices, each from its declaration."""
    kind = entry.get("type")
    if kind not in REGISTRY:
        raise EditRefused(f"interventions: unknown type {kind!r}; nothing changed")
    cls = REGISTRY[kind]
    i = lever_name(entry, index)
    out: list[Control] = []
    if "intensity" in entry:
        hi = MAX_BUDGET / cls.unit_cost
        if cls.max_intensity is not None:
            hi = min(hi, cls.max_intensity)
        out.append(Control(f"interventions.{i}.intensity", "intensity", cls.unit, 0.0, hi,
                           entry["intensity"], "linear" if hi <= 1e3 else "number",
                           doc=f"costs {cls.unit_cost:,.0f} USD/week per unit"))
    else:
        out.append(Control(f"interventions.{i}.budget", "budget", "million USD/week", 0.0,
                           MAX_BUDGET / 1e6, entry.get("budget", 0.0) / 1e6, "number",
                           doc="money spent each week while funded", scale=1e6))
    out += [
        Control(f"interventions.{i}.start_week", "start week", "week", 0, weeks, 0, "int",
                doc="first week it acts (0-based)"),
        Control(f"interventions.{i}.ramp_weeks", "ramp weeks", "weeks", 0, weeks, 0, "int",
                doc="weeks to reach full strength"),
    ]
    for key, values in cls.choices.items():
        out.append(Control(f"interventions.{i}.{key}", key, "", 0, 0, values[0], "choice",
                           choices=tuple(values)))
    for key, p in cls.params.items():
        out.append(Control(f"interventions.{i}.{key}", key, p.unit, p.lo, p.hi,
                           p.kind(p.default), _kind(p), doc=p.doc, source=p.source))
    return out


def current_value(scn, control: Control) -> Any:
    """The scenario's value for ``control`` (shown units), or the declared default."""
    parts = control.path.split(".")
    if parts[0] == "params":
        return scn.params[parts[1]][parts[2]]
    if parts[0] in ("weeks", "seed"):
        return getattr(scn, parts[0])
    if parts[0] == "interventions":
        entry = _entry(scn, parts[1])
        value = entry.get(parts[2], control.default if parts[2] != "budget" else 0.0)
        if parts[2] == "budget":
            return float(value) / control.scale
        return value
    raise EditRefused(f"{control.path}: not a field the explorer can change")


def _entry(scn, name: str) -> dict:
    return scn.interventions[_index(scn, name)]


def _apply(scn, path: str, value: Any):
    try:
        return scn.with_overrides({path: value}, option="explorer")
    except ScenarioError as exc:
        lines = getattr(exc, "lines", None) or [str(exc)]
        raise EditRefused("; ".join(lines) + "; nothing changed") from None


def set_value(scn, control: Control, value: Any):
    """A copy of ``scn`` with ``control`` set to ``value`` (in shown units), checked against
    the declaration and then the whole scenario; :class:`EditRefused` when refused."""
    stored = control.check(value)
    path = control.path
    if path.startswith("interventions."):
        _, name, fld = path.split(".", 2)
        idx = _index(scn, name)
        path = f"interventions.{idx}.{fld}"
    return _apply(scn, path, stored)


def _index(scn, name: str) -> int:
    for idx, entry in enumerate(scn.interventions):
        if lever_name(entry, idx) == name:
            return idx
    raise EditRefused(f"interventions.{name}: no such lever in this scenario; nothing changed")


def lever_name(entry: dict, index: int) -> str:
    """An intervention's name as the model gives it: ``name``, else ``<type>-<index>``."""
    return entry.get("name") or f"{entry.get('type')}-{index}"


def add_lever(scn, kind: str, budget_musd: float, start_week: int,
              regions: list[str] | None = None, top_n: int | None = None):
    """A copy of ``scn`` with a new lever of type ``kind``; refused with a message if the type,
    budget, start week or targets are not valid for it (checked as a scenario file is)."""
    if kind not in REGISTRY:
        raise EditRefused(f"interventions: unknown type {kind!r}; valid: "
                          f"{', '.join(sorted(REGISTRY))}; nothing changed")
    budget = Control("interventions.new.budget", "budget", "million USD/week", 0.0,
                     MAX_BUDGET / 1e6, 0.0, "number", scale=1e6).check(budget_musd)
    start = Control("interventions.new.start_week", "start week", "week", 0, scn.weeks, 0,
                    "int").check(start_week)
    taken = {lever_name(e, i) for i, e in enumerate(scn.interventions)}
    n = 1
    while f"{kind}-{n}" in taken:
        n += 1
    entry: dict[str, Any] = {"type": kind, "name": f"{kind}-{n}", "start_week": start,
                             "budget": budget}
    targets: dict[str, Any] = {}
    if regions:
        if not isinstance(regions, list) or len(regions) > 200:
            raise EditRefused("interventions.new.targets.regions: expected a list of region "
                              "names; nothing changed")
        targets["regions"] = list(regions)
    if top_n:
        targets["top_n"] = top_n
    if targets:
        entry["targets"] = targets
    return _apply(scn, "interventions", [*scn.interventions, entry])


def remove_lever(scn, name: str):
    idx = _index(scn, name)
    return _apply(scn, "interventions", [e for i, e in enumerate(scn.interventions)
                                         if i != idx])


def target_choices(world) -> list[str]:
    """Region names and roles a new lever may target."""
    from sim.enums import REGION_ROLE_BITS

    return list(world.region_names) + list(REGION_ROLE_BITS)


# ---------------------------------------------------------------------- scenario files
_SAFE_NAME = re.compile(r"^[A-Za-z0-9_.-]{1,120}\.yaml$")


def scenario_files(folder: Path) -> list[str]:
    """The scenario files a user may pick: ``*.yaml`` directly in ``folder`` (names only)."""
    if not folder.is_dir():
        return []
    return sorted(p.name for p in folder.glob("*.yaml")
                  if p.is_file() and _SAFE_NAME.match(p.name))


def load_listed(folder: Path, name: str):
    """Load the listed scenario file ``name``; anything not in the listing is refused (no
    paths: the name must be one of :func:`scenario_files`)."""
    if not isinstance(name, str) or name not in scenario_files(folder):
        raise EditRefused(f"scenario: {str(name)[:80]!r} is not one of the listed scenario "
                          "files; nothing changed")
    try:
        scn = load_scenario(folder / name)
    except ScenarioError as exc:
        lines = getattr(exc, "lines", None) or [str(exc)]
        raise EditRefused("; ".join(lines)) from None
    if scn.weeks > MAX_WEEKS:
        scn = scn.with_overrides({"weeks": MAX_WEEKS}, option="explorer")
    return scn
