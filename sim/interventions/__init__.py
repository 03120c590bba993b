"""Policy levers scheduled in scenario files: one module per type, each a small class that
checks its parameters when the scenario is loaded and acts in the weeks it is active (see
``base.py`` for the common fields, levels, ramps, after-end rules and costs)."""

from __future__ import annotations

import importlib
from typing import Any

from ..rng import stream
from ..yamlio import shorten
from .base import Intervention

TYPES = (
    "interdiction", "targeted_enforcement", "sanctions", "anti_money_laundering",
    "capacity_building", "anti_corruption", "demand_reduction", "recruitment_prevention",
    "information_sharing", "threat_mitigation",
)
REGISTRY: dict[str, type[Intervention]] = {}
for _name in TYPES:
    try:
        _mod = importlib.import_module(f"{__name__}.{_name}")
    except ModuleNotFoundError as _exc:  # a lever not written yet
        if _exc.name != f"{__name__}.{_name}":
            raise
        continue
    REGISTRY[_name] = _mod.LEVER


def check_interventions(entries: list[dict[str, Any]], world, label: str, weeks: int) -> list[str]:
    """One error line per problem in a scenario's ``interventions:`` list."""
    errors = []
    known = ", ".join(sorted(REGISTRY)) or "(none yet)"
    names = set()
    for i, entry in enumerate(entries):
        where = f"{label}: interventions[{i}]"
        if not isinstance(entry, dict):
            errors.append(f"{where}: expected a mapping with a type")
            continue
        kind = entry.get("type")
        if not isinstance(kind, str) or kind not in REGISTRY:
            errors.append(f"{where}.type: unknown type {shorten(kind)}; known: {known}")
            continue
        name = entry.get("name") or f"{kind}-{i}"
        if not isinstance(name, str) or len(name) > 200 or "\x00" in name:
            errors.append(f"{where}.name: expected a short text, got {shorten(name)}")
            continue
        if name in names:
            errors.append(f"{where}.name: duplicate intervention name {name!r}")
        names.add(name)
        errors.extend(REGISTRY[kind].check(entry, world, where, weeks))
    return errors


def build_interventions(model) -> list[Intervention]:
    """Instantiate the scenario's interventions, each with its own random stream."""
    out = []
    for i, entry in enumerate(model.config.interventions):
        iv = REGISTRY[entry["type"]](entry, i, model)
        iv.rng = stream(model.config.seed, f"intervention:{iv.name}")
        out.append(iv)
    return out
