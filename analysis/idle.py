"""Levers that would do nothing: found before any run, so that no one reads "no effect" into
a comparison whose intervention never acted.

A lever is idle when it starts after the run's last week, when its budget (or intensity) is
zero, or when its targets match nothing at the start of the run: no region (a role that no
region of the world has) or no organization (names, kinds and regions that no organization of
the world combines). ``tocsim validate`` prints these as warnings; ``compare`` and ``sweep``
refuse them unless ``--allow-idle`` is given, and the report then says which levers were idle.
"""

from __future__ import annotations

import numpy as np

from sim.errors import ScenarioError

ORG_KEYS = ("organizations", "kinds", "top_n")


def idle_levers(scn) -> list[str]:
    """One ``FILE: interventions.NAME: why`` line per idle lever of the scenario ``scn``."""
    lines = []
    for i, e in enumerate(scn.interventions):
        name = e.get("name") or f"{e.get('type')}-{i}"
        where = f"{scn.source}: interventions.{name}"
        start = int(e.get("start_week", 0))
        if start >= scn.weeks:
            lines.append(f"{where}: starts in week {start}, after the run's last week "
                         f"{scn.weeks - 1}: it never acts")
        for key in ("budget", "intensity"):
            if key in e and e[key] == 0:
                lines.append(f"{where}: {key} is 0: it never acts")
        lines.extend(f"{where}: {why}" for why in _empty_targets(e.get("targets") or {},
                                                                   scn.world))
    return lines


def _empty_targets(targets: dict, world) -> list[str]:
    from sim.enums import REGION_ROLE_BITS

    regions = targets.get("regions")
    rmask = np.ones(world.n_regions, bool)
    if regions:
        rmask = np.zeros(world.n_regions, bool)
        for r in regions:
            if r in REGION_ROLE_BITS:
                rmask |= (world.region_roles & REGION_ROLE_BITS[r]) != 0
            elif r in world.region_names:
                rmask[world.region_names.index(r)] = True
        if not rmask.any():
            return [f"targets.regions {list(regions)} match no region of the world: it "
                    "never acts"]
    if not any(k in targets for k in ORG_KEYS):
        return []
    orgs = np.ones(len(world.org_names), bool)
    names = targets.get("organizations")
    if names:
        orgs &= np.isin(world.org_names, names)
    kinds = targets.get("kinds")
    if kinds:
        from sim.enums import OrgKind

        orgs &= np.isin(world.org_kind, [OrgKind[k.upper()] for k in kinds])
    if regions and not names:
        orgs &= world.org_presence[:, rmask].sum(axis=1) > 0
    if not orgs.any():
        return [f"targets {dict(targets)} match no organization at the start of the run: "
                "it never acts"]
    return []


def check_idle(scenarios, allow: bool, option: str = "--allow-idle") -> list[str]:
    """The idle-lever lines of ``scenarios``; raise :class:`ScenarioError` listing them unless
    ``allow`` (then the caller records them for the report)."""
    lines = [line for scn in scenarios for line in idle_levers(scn)]
    if lines and not allow:
        raise ScenarioError([*lines, f"{option}: not given: an idle lever makes the "
                             "comparison answer a question nobody asked; fix the scenario, or "
                             f"pass {option} to run it anyway"])
    return lines
