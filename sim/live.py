"""Changes to a running model between weeks: new interventions, parameter and capacity shocks,
and events (a prison break, a faction breaking away). Training exercises use these to turn
trainees' decisions and facilitators' injects into model changes; anything else (a notebook,
a calibration) may use them too.

Every method validates its input like a scenario file does and raises
:class:`~sim.errors.ScenarioError` with ``LABEL: field: problem`` lines; nothing is changed when
the input is bad. Each change acts from the model's current week (``model.week``, the next week
to be simulated) on, and is recorded in ``model.live_changes`` as ``(week, kind, spec)`` so a
session can be audited. Random draws of events come from their own named streams
(``event:<name>``), never from the processes' streams, so an event changes only what it does.
"""

from __future__ import annotations

import copy
from typing import Any

import numpy as np

from .enums import Status
from .errors import ScenarioError

# Levers a shock may scale: (name, what indexes it). Region levers take ``regions``; the
# agency budget takes ``agencies``.
SHOCKABLE_LEVERS = {
    "enforcement_capacity": "regions",
    "judicial_capacity": "regions",
    "state_capacity": "regions",
    "legit_wage": "regions",
    "demand_ref": "regions",
    "aml_multiplier": "regions",
    "detection_multiplier": "regions",
    "agency_budget": "agencies",
}
MAX_SHOCK_FACTOR = 10.0


class LiveChanges:
    """Mixin of :class:`~sim.model.TocModel`: public methods that change a model between weeks.

    The changes act on the model's state (``self.state``, :class:`~sim.state.State`), where
    ``live_changes`` records them."""

    def _record_change(self, kind: str, spec: Any) -> None:
        self.live_changes.append((self.week, kind, copy.deepcopy(spec)))

    # ------------------------------------------------------------------ interventions
    def check_new_interventions(self, entries: list[dict[str, Any]],
                                label: str = "<live>") -> list[str]:
        """Problems (one line each) with adding ``entries`` now: exactly the checks of a
        scenario's ``interventions:`` list, plus names unique in the model and
        ``start_week`` not in the past."""
        from .interventions import check_interventions

        if not isinstance(entries, list):
            return [f"{label}: interventions: expected a list"]
        filled = [({"start_week": self.week, **e} if isinstance(e, dict) else e)
                  for e in entries]
        errors = check_interventions(filled, self.world, label, self.config.weeks)
        taken = {iv.name for iv in self.interventions}
        for i, entry in enumerate(filled):
            if not isinstance(entry, dict):
                continue
            name = entry.get("name")
            if not name:
                errors.append(f"{label}: interventions[{i}].name: required for an intervention "
                              "added to a running model")
            elif name in taken:
                errors.append(f"{label}: interventions[{i}].name: {name!r} is already in the "
                              "model")
            start = entry.get("start_week")
            if isinstance(start, int) and not isinstance(start, bool) and start < self.week:
                errors.append(f"{label}: interventions[{i}].start_week: {start} is in the past "
                              f"(the model is at week {self.week})")
        return errors

    def add_interventions(self, entries: list[dict[str, Any]], label: str = "<live>") -> list[str]:
        """Add interventions to the running model, acting from their ``start_week`` (default:
        the current week) on. Each gets its own random stream ``intervention:<name>``, as in a
        scenario. Returns their names; raises :class:`ScenarioError` on bad input."""
        from .interventions import REGISTRY
        from .rng import stream

        errors = self.check_new_interventions(entries, label)
        if errors:
            raise ScenarioError(errors)
        names = []
        for entry in entries:
            entry = {"start_week": self.week, **copy.deepcopy(entry)}
            iv = REGISTRY[entry["type"]](entry, len(self.interventions), self)
            iv.rng = stream(self.config.seed, f"intervention:{iv.name}")
            self.interventions.append(iv)
            names.append(iv.name)
        self._record_change("interventions", entries)
        return names

    def end_intervention(self, name: str, last_week: int | None = None,
                         label: str = "<live>") -> None:
        """Stop funding intervention ``name`` after ``last_week`` (default: the last week
        simulated, so it is unfunded from the current week on); its ``after_end`` rule then
        applies as if that had been its ``end_week``."""
        last = self.week - 1 if last_week is None else last_week
        ivs = {iv.name: iv for iv in self.interventions}
        if name not in ivs:
            raise ScenarioError(f"{label}: stop: no intervention {name!r} in the model; known: "
                                f"{', '.join(ivs) or '(none)'}")
        if isinstance(last, bool) or not isinstance(last, int) or last < self.week - 1:
            raise ScenarioError(f"{label}: stop.last_week: {last!r} is in the past (the model "
                                f"is at week {self.week})")
        iv = ivs[name]
        if iv.end is None or last < iv.end:
            iv.end = max(last, iv.start - 1)
        self._record_change("end_intervention", {"name": name, "last_week": last})

    # ------------------------------------------------------------------ parameters, levers
    def set_params(self, overrides: dict[str, dict[str, Any]], label: str = "<live>") -> None:
        """Change documented parameters from the current week on (each checked against its
        range, like a scenario's ``params:``)."""
        from . import params as P

        errors = P.check_overrides(overrides)
        if errors:
            raise ScenarioError([f"{label}: {e}" for e in errors])
        for group, values in overrides.items():
            ns = getattr(self.pars, group)
            for name, value in values.items():
                setattr(ns, name, P.PARAMS[group][name].kind(value))
        from .processes import derive

        derive(self.state)  # every table derived from parameters, from this week on
        self._record_change("params", overrides)

    def scale_lever(self, lever: str, factor: float, regions: list[str] | None = None,
                    agencies: list[str] | None = None, label: str = "<live>") -> None:
        """Multiply the base value of a lever (a capacity, budget or multiplier that
        interventions also act on, see ``SHOCKABLE_LEVERS``) by ``factor`` from the current week
        on: a shock such as a partner government change or a budget cut. ``regions`` (names or
        roles) or ``agencies`` restrict it; default everywhere."""
        from .interventions.base import check_targets, region_mask

        errs = []
        if lever not in SHOCKABLE_LEVERS:
            errs.append(f"{label}: lever: unknown lever {lever!r}; valid: "
                        f"{', '.join(SHOCKABLE_LEVERS)}")
        if isinstance(factor, bool) or not isinstance(factor, int | float) \
                or not 0.0 <= factor <= MAX_SHOCK_FACTOR:
            errs.append(f"{label}: factor: expected a number between 0 and {MAX_SHOCK_FACTOR:g}, "
                        f"got {factor!r}")
        if regions is not None:
            errs.extend(e.replace(".targets.regions", ".regions")
                        for e in check_targets({"regions": regions}, self.world, label, ()))
        known_agencies = list(self.world.agency_names)
        for a in agencies or []:
            if a not in known_agencies:
                errs.append(f"{label}: agencies: unknown agency {a!r}; valid: "
                            f"{', '.join(known_agencies)}")
        if not errs and SHOCKABLE_LEVERS[lever] == "agencies" and regions:
            errs.append(f"{label}: regions: lever {lever} is per agency; give agencies")
        if not errs and SHOCKABLE_LEVERS[lever] == "regions" and agencies:
            errs.append(f"{label}: agencies: lever {lever} is per region; give regions")
        if errs:
            raise ScenarioError(errs)
        base = self.lever_base[lever]
        if SHOCKABLE_LEVERS[lever] == "agencies":
            mask = np.ones(self.A, np.bool_) if not agencies else np.isin(known_agencies, agencies)
        else:
            mask = region_mask(regions, self.world)
        base[..., mask] *= float(factor)
        getattr(self, lever)[...] = base  # this week's value until the next reset
        self._record_change("scale_lever", {"lever": lever, "factor": factor,
                                            "regions": regions, "agencies": agencies})

    # ------------------------------------------------------------------ events
    def release_prisoners(self, share: float, regions: list[str] | None = None,
                          name: str = "prison-break", label: str = "<live>") -> int:
        """A prison break: each incarcerated member held in ``regions`` (default all) is freed
        with probability ``share`` (stream ``event:<name>``). Freed members leave prison in
        the next week's member step, as at the end of a sentence (they rejoin their
        organization with ``enforcement.return_prob``). Returns how many were freed."""
        from .interventions.base import check_targets, region_mask

        errs = []
        if isinstance(share, bool) or not isinstance(share, int | float) or not 0 <= share <= 1:
            errs.append(f"{label}: share: expected a share between 0 and 1, got {share!r}")
        if regions is not None:
            errs.extend(e.replace(".targets.regions", ".regions")
                        for e in check_targets({"regions": regions}, self.world, label, ()))
        if errs:
            raise ScenarioError(errs)
        from .rng import stream

        m = self.members
        rmask = region_mask(regions, self.world)
        held = m.jail[: m.n_jail]
        held = held[(m.status[held] == Status.INCARCERATED) & rmask[m.region[held]]]
        rng = stream(self.config.seed, f"event:{name}:{self.week}")
        freed = held[rng.random(held.size) < share]
        m.release[freed] = self.week
        m.jail_reorder()  # the freed are due now: the jail heap is ordered by release week
        self._record_change("release_prisoners", {"share": share, "regions": regions,
                                                  "name": name, "freed": int(freed.size)})
        return int(freed.size)

    def split_organization(self, organization: str, name: str = "split",
                           label: str = "<live>") -> str:
        """A new rival group: a faction breaks away from the active organization named
        ``organization`` (its largest active fragment if it has split before), by the model's
        own split mechanism (half of its home region's members, and each other region's
        members with probability one half; stream ``event:<name>``). Returns the new
        organization's name."""
        o = self.orgs
        if organization not in o.names:
            raise ScenarioError(f"{label}: organization: unknown organization {organization!r}; "
                                f"valid: {', '.join(n for n in o.names if ' faction ' not in n)}")
        root = o.names.index(organization)
        size = self.counts.sum(axis=(1, 2))
        family = [i for i in range(o.n) if o.active[i] and self._descends(i, root)]
        if not family:
            raise ScenarioError(f"{label}: organization: {organization} is no longer active")
        org = max(family, key=lambda i: (size[i], -i))
        from .processes.leadership import split
        from .rng import stream

        split(self.state, int(org), stream(self.config.seed, f"event:{name}:{self.week}"))
        self._record_change("split_organization", {"organization": organization, "name": name})
        return o.names[o.n - 1]

    def _descends(self, i: int, root: int) -> bool:
        while i >= 0:
            if i == root:
                return True
            i = int(self.orgs.parent[i])
        return False
