"""Timed actions on a model, and runs of a whole timeline.

Everything an exercise does to the simulation is an *action* at a model week, applied before
that week is simulated:

- ``{"week": w, "kind": "decision", "team": T, "name": N, "entry": {...}}``: a team's decision,
  added as an intervention (``entry`` is its scenario entry, with ``start_week: w``);
- ``{"week": w, "kind": "stop", "team": T, "name": N}``: stop funding decision N from week w;
- ``{"week": w, "kind": "inject", "name": N, "how": ..., "effect": {...}}``: an inject's
  effect (interventions, a parameter change, a lever shock, a prison break, a faction splitting
  off; a team budget change has no model effect).

The live session and every debrief run apply actions with the same function,
:func:`apply_action`, so a timeline replayed on the session's seed reproduces the session
exactly, and on other seeds gives the counterfactual runs.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from sim.model import TocModel


def apply_action(model: TocModel, action: dict[str, Any], label: str = "<exercise>") -> None:
    """Apply one action to ``model`` (which must be at the action's week)."""
    kind = action["kind"]
    if model.week != action["week"]:
        raise RuntimeError(f"action for week {action['week']} applied at week {model.week}")
    if kind == "decision":
        model.add_interventions([action["entry"]], label)
    elif kind == "stop":
        model.end_intervention(action["name"], model.week - 1, label)
    elif kind == "inject":
        apply_effect(model, action["name"], action.get("effect") or {}, label)
    else:  # pragma: no cover - written by this package only
        raise ValueError(f"unknown action kind {kind!r}")


def apply_effect(model: TocModel, name: str, eff: dict[str, Any], label: str) -> None:
    """An inject's effect on the model, in a fixed order (parameters, levers, interventions,
    prison break, split)."""
    if eff.get("params"):
        model.set_params(eff["params"], label)
    if eff.get("lever"):
        lv = eff["lever"]
        model.scale_lever(lv["lever"], lv["factor"], lv.get("regions"), lv.get("agencies"),
                          label)
    if eff.get("interventions"):
        model.add_interventions([{**e} for e in eff["interventions"]], label)
    if eff.get("release_prisoners"):
        rp = eff["release_prisoners"]
        model.release_prisoners(rp["share"], rp.get("regions"), name=name, label=label)
    if eff.get("split"):
        model.split_organization(eff["split"]["organization"], name=name, label=label)


def actions_at(actions: list[dict[str, Any]], week: int) -> list[dict[str, Any]]:
    return [a for a in actions if a["week"] == week]


@dataclasses.dataclass
class TimelineRun:
    """A base scenario plus a timeline of actions: a debrief arm. ``evaluate`` is what the
    Dask runner calls on a worker (``analysis.runner.execute``) to run it with a seed."""

    scenario: Any
    actions: list[dict[str, Any]]

    def build(self, seed: int, weeks: int) -> TocModel:
        scn = dataclasses.replace(self.scenario, seed=seed, weeks=weeks,
                                  raw={**self.scenario.raw, "seed": seed, "weeks": weeks})
        return TocModel(scn, checks=False)

    def run(self, seed: int, weeks: int) -> TocModel:
        model = self.build(seed, weeks)
        by_week: dict[int, list] = {}
        for a in self.actions:
            by_week.setdefault(a["week"], []).append(a)
        for w in range(weeks):
            for a in by_week.get(w, ()):
                apply_action(model, a)
            model.step()
        return model

    def evaluate(self, overrides: dict, seed: int, weeks: int):
        if overrides:
            raise ValueError("a timeline run takes no overrides")
        return self.run(seed, weeks).metrics_frame()
