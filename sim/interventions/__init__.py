"""Policy levers scheduled in scenario files.

Each intervention type lives in its own module and registers itself in ``REGISTRY``. The levers
of the Strategy are added by the policy-levers work; until then only the checks exist, so a
scenario with an ``interventions:`` entry gets a clear error naming the known types.
"""

from __future__ import annotations

from typing import Any

REGISTRY: dict[str, type] = {}


def check_interventions(entries: list[dict[str, Any]], world, label: str, weeks: int) -> list[str]:
    """One error line per problem in a scenario's ``interventions:`` list."""
    errors = []
    known = ", ".join(sorted(REGISTRY)) or "(none yet)"
    for i, entry in enumerate(entries):
        kind = entry.get("type")
        if kind not in REGISTRY:
            errors.append(f"{label}: interventions[{i}].type: unknown type {kind!r}; known: {known}")
            continue
        errors.extend(REGISTRY[kind].check(entry, world, f"{label}: interventions[{i}]", weeks))
    return errors
