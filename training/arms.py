"""Debrief arms run together, one replicate per task, sharing the weeks they have in common.

An *arm* is a timeline of actions (:mod:`training.actions`): the status quo (injects only),
the trainees' plan, a facilitator's alternative, the plan without one decision, the plan
without one team. All arms of a replicate use the same seed (common random numbers), and
until the first week where an arm's actions differ from the plan's, its state *is* the plan's.
So a replicate runs the plan once, keeps an exact snapshot (``sim.snapshot``) at each week
where some arm branches off, and runs each other arm on from its branch week. The result is
identical, byte for byte, to running every arm from week 0 (the snapshot property; checked
in ``tests/test_training.py``), at a fraction of the cost for decisions taken late.

:class:`ArmsReplicate` is the base the Dask runner (``analysis.runner``) sends to workers: its
``evaluate(overrides, seed, weeks)`` returns one frame with every arm's weekly metrics, told
apart by the column ``arm`` (the arm's index, as a number, because the runner stores metric
columns as floats).
"""

from __future__ import annotations

import dataclasses
from typing import Any

import pandas as pd

from sim import snapshot

from .actions import TimelineRun, apply_action


def _key(a: dict[str, Any]) -> str:
    import json

    return json.dumps(a, sort_keys=True, default=str)


def divergence_week(arm: list[dict], plan: list[dict], weeks: int) -> int:
    """The first week whose actions differ between ``arm`` and ``plan`` (``weeks`` if none)."""
    def by_week(actions):
        out: dict[int, list[str]] = {}
        for a in actions:
            out.setdefault(a["week"], []).append(_key(a))
        return out

    x, y = by_week(arm), by_week(plan)
    for w in sorted(set(x) | set(y)):
        if x.get(w) != y.get(w):
            return w
    return weeks


@dataclasses.dataclass
class ArmsReplicate:
    """Every arm of a debrief for one seed. ``arms[0]`` must be the plan."""

    scenario: Any
    arms: list[list[dict[str, Any]]]

    def evaluate(self, overrides: dict, seed: int, weeks: int) -> pd.DataFrame:
        if overrides:
            raise ValueError("a debrief replicate takes no overrides")
        return pd.concat([f for _, f in self.frames(seed, weeks)], ignore_index=True)

    def frames(self, seed: int, weeks: int):
        """``(arm index, weekly metrics with an 'arm' column)`` for every arm."""
        plan = self.arms[0]
        branch = {i: min(divergence_week(a, plan, weeks), weeks)
                  for i, a in enumerate(self.arms) if i}
        marks = set(branch.values())
        saved: dict[int, bytes] = {}
        model = TimelineRun(self.scenario, plan).build(seed, weeks)
        by_week = _by_week(plan)
        for w in range(weeks + 1):
            if w in marks:
                saved[w] = snapshot.dumps(model)
            if w == weeks:
                break
            for a in by_week.get(w, ()):
                apply_action(model, a)
            model.step()
        yield 0, _frame(model, 0)
        for i, start in branch.items():
            m = snapshot.loads(saved[start])
            acts = _by_week(self.arms[i])
            for w in range(start, weeks):
                for a in acts.get(w, ()):
                    apply_action(m, a)
                m.step()
            yield i, _frame(m, i)


def _by_week(actions):
    out: dict[int, list] = {}
    for a in actions:
        out.setdefault(a["week"], []).append(a)
    return out


def _frame(model, i: int) -> pd.DataFrame:
    df = model.metrics_frame()
    df.insert(1, "arm", float(i))
    return df
