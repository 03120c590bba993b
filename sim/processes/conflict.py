"""Conflict (step 8 of the week, ODD 7.8): killing hazards between organizations sharing
regions (``sim.kernels.conflict.conflict_hazards``), stronger during successions, power
shifts and without lieutenants to coordinate.
"""

from __future__ import annotations

import numpy as np

from ..enums import Role
from ..kernels.conflict import conflict_hazards, conflict_intensity
from ..state import role_vector

# Kept between weeks: nothing of its own; it reads last week's members by organization and
# region (prev_members_or, kept by bookkeeping) for the power shift. This week's results:
# intensity_o, h_death, expected_deaths_r, kills_by_o.
KEEPS = ()


def step(s) -> None:
    c, o = s.pars.conflict, s.orgs
    members_or = s.counts.sum(axis=2).astype(np.float64)
    # the struggle is fiercest right after the leader falls and fades over the succession
    intensity = np.empty(o.capacity)
    conflict_intensity(
        members_or, s.prev_members_or, s.counts[:, :, Role.LIEUTENANT].sum(axis=1),
        s.role_share[o.kind, Role.LIEUTENANT], o.succession, c.succession_weeks,
        c.succession_boost, c.mid_level_coordination, c.power_shift_boost, intensity,
    )
    s.intensity_o = intensity
    if not hasattr(s, "_death_exposure"):
        s._death_exposure = role_vector(c, "exposure_")
    lethality = 1.0 + c.arms_lethality * s.guns / s.world.population * 1000.0
    conflict_hazards(
        members_or, o.rivalry, o.alliance, c.rivalry_base, o.active, intensity,
        c.theta / s.scale,  # pairwise rate: keep per-member hazards in scaled worlds
        lethality, s._death_exposure, s.h_death, s.expected_deaths_r, s.kills_by_o,
    )
