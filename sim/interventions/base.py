"""The common shape of a policy lever scheduled in a scenario file.

Every entry of ``interventions:`` has these fields (the type adds its own parameters)::

    - type: interdiction          # one of the registered types (tocsim list)
      name: border-surge          # optional, unique; default "<type>-<index>"
      start_week: 104             # first week it acts (0-based)
      end_week: 260               # optional: last week it is funded (default: the run's end)
      ramp_weeks: 12              # weeks to reach full strength (linear ramp)
      budget: 5.0e6               # USD per week, turned into intensity by the type's unit cost
      # or intensity: 0.5         # the type's own unit, costed at the same unit cost
      after_end: decay            # stop | decay | persist (default per type)
      decay_rate: 0.02            # per week, for after_end: decay
      targets: {regions: [Mexico, transit], organizations: [CJNG], kinds: [cartel], top_n: 3,
                corridors: ["Mexico-United States"]}

Levels: 0 before ``start_week``; ``intensity * min(1, (t - start + 1) / ramp_weeks)`` while
funded; after ``end_week`` the level drops to 0 (stop), stays (persist) or falls as
``exp(-decay_rate * weeks since end)`` (decay). Costs are paid only while funded:
``level * unit_cost`` per week. An intervention with zero budget or intensity never acts
and never draws random numbers, so its run is identical to the baseline with the same seed.
"""

from __future__ import annotations

import math
from typing import Any, ClassVar

import numpy as np

from ..enums import REGION_ROLE_BITS, OrgKind
from ..params import Param, check_value
from ..yamlio import shorten

COMMON_FIELDS = ("type", "name", "start_week", "end_week", "ramp_weeks", "budget", "intensity",
                 "after_end", "decay_rate", "targets")
TARGET_KEYS = ("regions", "corridors", "organizations", "kinds", "top_n")
AFTER_END = ("stop", "decay", "persist")
MAX_WEEK = 52 * 200  # the longest run (sim.scenario.MAX_WEEKS)
MAX_BUDGET = 1e13  # USD/week: ~50 times the world's yearly GDP; keeps every cost finite


class Intervention:
    """Base class: parses the common fields, computes the level and the cost each week."""

    type: ClassVar[str] = ""
    unit: ClassVar[str] = ""  # what one unit of intensity means
    unit_cost: ClassVar[float] = 1.0  # USD per week per unit of intensity
    unit_cost_source: ClassVar[str] = "assumption"
    default_after_end: ClassVar[str] = "stop"
    needs_targets: ClassVar[tuple[str, ...]] = ()  # target keys of which one is required
    params: ClassVar[dict[str, Param]] = {}
    choices: ClassVar[dict[str, tuple[str, ...]]] = {}  # text fields; the first is the default
    max_intensity: ClassVar[float | None] = None  # for intensities that are shares (0-1)

    # ------------------------------------------------------------------ validation
    @classmethod
    def check(cls, entry: dict[str, Any], world, where: str, weeks: int) -> list[str]:
        errs: list[str] = []
        valid = list(COMMON_FIELDS) + list(cls.choices) + list(cls.params)
        for key, values in cls.choices.items():
            if key in entry and entry[key] not in values:
                errs.append(f"{where}.{key}: unknown {key} {shorten(entry[key])}; valid: "
                            f"{', '.join(values)}")
        cap = cls.max_intensity
        if cap is not None and isinstance(entry.get("intensity"), int | float) \
                and not isinstance(entry.get("intensity"), bool) and entry["intensity"] > cap:
            errs.append(f"{where}.intensity: must be between 0 and {cap:g}, got {entry['intensity']}")
        for key in entry:
            if key not in valid:
                key = shorten(key)[1:-1] if isinstance(key, str) else shorten(key)
                errs.append(f"{where}.{key}: unknown field for type {cls.type!r}; valid: "
                            f"{', '.join(valid)}")
        start, end = entry.get("start_week", 0), entry.get("end_week")
        for key, value in (("start_week", start), ("end_week", end),
                           ("ramp_weeks", entry.get("ramp_weeks", 0))):
            if value is None and key == "end_week":
                continue  # no end: funded to the end of the run
            if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= MAX_WEEK:
                errs.append(f"{where}.{key}: expected a whole number of weeks from 0 to "
                            f"{MAX_WEEK}, got {shorten(value)}")
        if isinstance(start, int) and isinstance(end, int) and end < start:
            errs.append(f"{where}.end_week: {end} is before start_week {start}")
        if "budget" in entry and "intensity" in entry:
            errs.append(f"{where}: give either budget (USD/week) or intensity, not both")
        limits = {"budget": MAX_BUDGET, "intensity": MAX_BUDGET / cls.unit_cost, "decay_rate": 10.0}
        for key, hi in limits.items():
            if key not in entry:
                continue
            v = entry[key]
            if isinstance(v, bool) or not isinstance(v, int | float):
                errs.append(f"{where}.{key}: expected a number, got {shorten(v)}")
            elif not math.isfinite(v):
                errs.append(f"{where}.{key}: expected a finite number, got {v}")
            elif v < 0:
                errs.append(f"{where}.{key}: must be >= 0, got {v}")
            elif v > hi:
                errs.append(f"{where}.{key}: must be <= {hi:g}, got {v:g}")
        if "budget" not in entry and "intensity" not in entry:
            errs.append(f"{where}: give a budget (USD/week) or an intensity ({cls.unit})")
        if entry.get("after_end", cls.default_after_end) not in AFTER_END:
            errs.append(f"{where}.after_end: expected one of {', '.join(AFTER_END)}")
        for key, p in cls.params.items():
            if key in entry:
                errs.extend(check_value(p, entry[key], f"{where}.{key}"))
        errs.extend(check_targets(entry.get("targets"), world, where, cls.needs_targets))
        return errs

    # ------------------------------------------------------------------ set-up
    def __init__(self, entry: dict[str, Any], index: int, model):
        self.entry = entry
        self.name = entry.get("name") or f"{self.type}-{index}"
        self.start = int(entry.get("start_week", 0))
        self.end = entry.get("end_week")
        self.ramp = int(entry.get("ramp_weeks", 0))
        if "budget" in entry:
            self.budget = float(entry["budget"])
            self.intensity = self.budget / self.unit_cost
        else:
            self.intensity = float(entry["intensity"])
            self.budget = self.intensity * self.unit_cost
        self.after_end = entry.get("after_end", self.default_after_end)
        self.decay_rate = float(entry.get("decay_rate", 0.02))
        self.p = {k: entry.get(k, p.kind(p.default)) for k, p in self.params.items()}
        for key, values in self.choices.items():
            setattr(self, key, entry.get(key, values[0]))
        self.targets = entry.get("targets") or {}
        self.cumulative_cost = 0.0
        self.last_level = 0.0
        self.rng: np.random.Generator | None = None  # set by the model (own stream)
        w = model.world
        self.region_mask = region_mask(self.targets.get("regions"), w)
        self.edge_mask = corridor_mask(self.targets.get("corridors"), w)
        self.setup(model)

    def setup(self, model) -> None:
        """Type-specific preparation (override)."""

    # ------------------------------------------------------------------ weekly
    def funded(self, t: int) -> bool:
        return t >= self.start and (self.end is None or t <= self.end)

    def level(self, t: int) -> float:
        """Effective intensity in week ``t`` (see the module docstring)."""
        if self.intensity <= 0.0 or t < self.start:
            return 0.0
        if self.end is None or t <= self.end:
            ramp = 1.0 if self.ramp <= 0 else min(1.0, (t - self.start + 1) / self.ramp)
            return self.intensity * ramp
        end_level = self.level(self.end)
        if self.after_end == "persist":
            return end_level
        if self.after_end == "decay":
            return end_level * math.exp(-self.decay_rate * (t - self.end))
        return 0.0

    def apply(self, model, t: int) -> float:
        """Act on the model in week ``t``; return this week's cost (USD)."""
        lvl = self.level(t)
        self.last_level = lvl
        if lvl > 0.0:
            self.act(model, t, lvl)
        cost = lvl * self.unit_cost if self.funded(t) else 0.0
        self.cumulative_cost += cost
        return cost

    def act(self, model, t: int, level: float) -> None:  # pragma: no cover - abstract
        raise NotImplementedError

    # ------------------------------------------------------------------ targets
    def target_orgs(self, model) -> np.ndarray:
        """Boolean mask over organization slots, re-evaluated each week: names (with the
        fragments that split from them), kinds, top-N by threat score, in regions."""
        return org_mask(self.targets, model)


def region_mask(spec, world) -> np.ndarray:
    """Regions given by name or role; all regions when not given."""
    R = world.n_regions
    if not spec:
        return np.ones(R, np.bool_)
    mask = np.zeros(R, np.bool_)
    for name in spec:
        if name in REGION_ROLE_BITS:
            mask |= (world.region_roles & REGION_ROLE_BITS[name]) != 0
        else:
            mask[world.region_names.index(name)] = True
    return mask


def _corridor_pairs(spec):
    for c in spec:
        if isinstance(c, dict):
            yield c.get("from"), c.get("to"), c
        else:
            a, _, b = str(c).partition("-")
            yield a.strip(), b.strip(), c


def corridor_mask(spec, world) -> np.ndarray:
    """Directed edges of the named corridors ("A-B" or {from: A, to: B}, both directions)."""
    E = world.n_edges
    if not spec:
        return np.zeros(E, np.bool_)
    mask = np.zeros(E, np.bool_)
    names = world.region_names
    for a, b, _ in _corridor_pairs(spec):
        ia, ib = names.index(a), names.index(b)
        mask |= ((world.edge_from == ia) & (world.edge_to == ib)) | (
            (world.edge_from == ib) & (world.edge_to == ia))
    return mask


def org_mask(targets: dict, model) -> np.ndarray:
    o = model.orgs
    cap = o.capacity
    mask = o.active.copy()
    names = targets.get("organizations")
    if names:
        by_name = np.zeros(cap, np.bool_)
        wanted = {o.names.index(n) for n in names if n in o.names}
        for i in range(o.n):
            j = i
            while j >= 0:  # an organization or any fragment descended from it
                if j in wanted:
                    by_name[i] = True
                    break
                j = o.parent[j]
        mask &= by_name
    kinds = targets.get("kinds")
    if kinds:
        codes = [OrgKind[k.upper()] for k in kinds]
        mask &= np.isin(o.kind, codes)
    regions = targets.get("regions")
    if regions and (names is None):
        rm = region_mask(regions, model.world)
        mask &= (model.counts.sum(axis=2)[:, rm].sum(axis=1) > 0)
    top = targets.get("top_n")
    if top:
        score = np.where(mask, o.threat, -np.inf)
        order = np.argsort(-score, kind="stable")[: int(top)]
        keep = np.zeros(cap, np.bool_)
        keep[order] = True
        mask &= keep
    return mask


def check_targets(spec, world, where: str, needs: tuple[str, ...]) -> list[str]:
    errs: list[str] = []
    if spec is None:
        spec = {}
    if not isinstance(spec, dict):
        return [f"{where}.targets: expected a mapping with keys {', '.join(TARGET_KEYS)}"]
    for key in spec:
        if key not in TARGET_KEYS:
            errs.append(f"{where}.targets.{key}: unknown key; valid: {', '.join(TARGET_KEYS)}")
    if needs and not any(k in spec for k in needs):
        errs.append(f"{where}.targets: this type needs one of: {', '.join(needs)}")
    for key in ("regions", "organizations", "kinds"):
        items = spec.get(key)
        if items is not None and (not isinstance(items, list)
                                  or not all(isinstance(x, str) for x in items)):
            errs.append(f"{where}.targets.{key}: expected a list of names, got {shorten(items)}")
            spec = {k: v for k, v in spec.items() if k != key}
    items = spec.get("corridors")
    if items is not None and (not isinstance(items, list) or not all(
            isinstance(x, str) or (isinstance(x, dict) and set(x) == {"from", "to"}
                                   and all(isinstance(v, str) for v in x.values()))
            for x in items)):
        errs.append(f"{where}.targets.corridors: expected a list of 'A-B' names or "
                    f"{{from: A, to: B}} mappings, got {shorten(items)}")
        spec = {k: v for k, v in spec.items() if k != "corridors"}
    names = world.region_names
    for r in spec.get("regions") or []:
        if r not in names and r not in REGION_ROLE_BITS:
            errs.append(f"{where}.targets.regions: unknown region {shorten(r)}; valid: "
                        f"{', '.join(names)} or a role (source, transit, consumer)")
    for a, b, raw in _corridor_pairs(spec.get("corridors") or []):
        if a not in names or b not in names:
            errs.append(f"{where}.targets.corridors: unknown corridor {shorten(raw)} (write 'A-B' with "
                        f"region names)")
        elif not (((world.edge_from == names.index(a)) & (world.edge_to == names.index(b))).any()):
            errs.append(f"{where}.targets.corridors: no corridor joins {a} and {b}")
    for n in spec.get("organizations") or []:
        if n not in world.org_names:
            errs.append(f"{where}.targets.organizations: unknown organization {shorten(n)}; valid: "
                        f"{', '.join(world.org_names)}")
    for k in spec.get("kinds") or []:
        if k not in ("cartel", "gang"):
            errs.append(f"{where}.targets.kinds: unknown kind {shorten(k)}; valid: cartel, gang")
    top = spec.get("top_n")
    if top is not None and (isinstance(top, bool) or not isinstance(top, int) or top < 1):
        errs.append(f"{where}.targets.top_n: expected a whole number >= 1, got {shorten(top)}")
    return errs
