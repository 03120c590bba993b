"""Conflict (step 8 of the week, ODD 7.8): killing hazards between organizations sharing
regions (``sim.kernels.conflict.conflict_hazards``), stronger during successions, power
shifts and without lieutenants to coordinate.
"""

from __future__ import annotations

import numpy as np

from ..enums import Role
from ..kernels.conflict import conflict_week
from ..state import role_vector

# Kept between weeks: nothing of its own; it reads last week's members by organization and
# region (prev_members_or, kept by bookkeeping) for the power shift. This week's results:
# intensity_o, h_death, expected_deaths_r, kills_by_o.
KEEPS = ()


def derive(s) -> None:
    """Tables from parameters (rebuilt when parameters change): exposure to killing by role."""
    s.death_exposure = role_vector(s.pars.conflict, "exposure_")


def step(s) -> None:
    c, o = s.pars.conflict, s.orgs
    # the struggle is fiercest right after the leader falls and fades over the succession;
    # guns make conflict more lethal
    s.intensity_o = np.empty(o.capacity)
    conflict_week(
        s.counts, s.prev_members_or, s.role_share, o.kind, int(Role.LIEUTENANT), o.succession,
        c.succession_weeks, c.succession_boost, c.mid_level_coordination,
        c.power_shift_boost, o.rivalry, o.alliance, c.rivalry_base, o.active,
        c.theta / s.scale,  # pairwise rate: keep per-member hazards in scaled worlds
        c.arms_lethality, s.guns, s.world.population, s.death_exposure, s.intensity_o,
        s.h_death, s.expected_deaths_r, s.kills_by_o,
    )
