"""Corruption (step 5 of the week, ODD 7.5).

Offers, acceptance, bribes and detection of every official
(``sim.kernels.officials.step_officials``); the protection organizations buy (against
seizures, in court, politically) follows from the officials on their payroll.
"""

from __future__ import annotations

import numpy as np

from ..agents import INTEGRITY_CONCENTRATION, INTEGRITY_FAILED, INTEGRITY_SPAN
from ..enums import OfficialType
from ..kernels.draws import generator_pointers
from ..kernels.officials import logistic, officials_week, protection_from_officials

# Kept between weeks (on the state): the officials (patron, integrity), corrupt officials by
# organization, type and region, each region's corrupt share. This week's results:
# bribes_o, official_events, protect_seize, protect_judicial, protect_political.
KEEPS = ("officials", "corrupt_otr", "corrupt_share_r")

# new officials' mean integrity: sim.agents.integrity_mean of the region's state capacity,
# plus the vetting boost (interventions), at most INTEGRITY_CAP (in the kernel)
INTEGRITY_CAP = 0.98


def init(s) -> None:
    """Initial corruption: every official where organizations operate gets one offer."""
    off, rng = s.officials, s.streams["init"]
    members_or = s.counts.sum(axis=2).astype(np.float64)
    tot = members_or.sum(axis=0)
    c = s.pars.corruption
    detect = -np.expm1(-c.detection_rate * s.judicial_capacity)  # weekly probability
    for j in range(off.n):
        r = off.region[j]
        if tot[r] <= 0:
            continue
        u = (c.bribe_multiple - c.integrity_weight * off.integrity[j]
             - detect[r] * c.penalty_weeks) / c.noise
        if rng.random() < logistic(u):  # stable for any u (no math.exp overflow)
            off.patron[j] = rng.choice(members_or.shape[0], p=members_or[:, r] / tot[r])
    update_corruption_state(s)


def step(s) -> None:
    c, off, o, i = s.pars.corruption, s.officials, s.orgs, s.pars.interdiction
    # detection is a hazard: the kernel turns it into the weekly probability 1 - exp(-h);
    # officials scale with the world: so does the number that buys half the protection
    officials_week(
        generator_pointers(s.streams["officials"]), off.region, off.otype, off.integrity,
        off.salary, off.patron, o.active, o.cash, s.counts, s.corrupt_share_r, s.violence_r,
        c.detection_rate, s.judicial_capacity, s.detection_multiplier,
        s.state_capacity, s.integrity_boost, INTEGRITY_FAILED, INTEGRITY_SPAN, INTEGRITY_CAP,
        INTEGRITY_CONCENTRATION,
        c.offer_rate, c.bribe_multiple, c.integrity_weight, c.penalty_weeks, c.peer_weight,
        c.threat_weight, c.noise, c.unpaid_quit, s.detect_type_mult, s.detect_patron_mult,
        s.penalty_mult, s.pay_mult, s.corrupt_otr, s.bribes_o, s.official_events,
        s.world.officials, i.protection_max, i.protection_half * s.scale,
        int(OfficialType.POLICE), int(OfficialType.CUSTOMS), int(OfficialType.JUDICIAL),
        int(OfficialType.POLITICAL), s.protect_seize, s.protect_judicial,
        s.protect_political,
    )


def update_corruption_state(s) -> None:
    """Recount corrupt officials by organization, type and region; the protection they buy
    (``step`` does both in its kernel)."""
    off, i = s.officials, s.pars.interdiction
    s.corrupt_otr[:] = 0
    k = off.patron >= 0
    np.add.at(s.corrupt_otr, (off.patron[k], off.otype[k], off.region[k]), 1)
    # officials scale with the world: so does the number that buys half the protection
    protection_from_officials(
        s.corrupt_otr, np.maximum(s.world.officials, 1), i.protection_max,
        i.protection_half * s.scale, int(OfficialType.POLICE), int(OfficialType.CUSTOMS),
        int(OfficialType.JUDICIAL), int(OfficialType.POLITICAL), s.corrupt_share_r,
        s.protect_seize, s.protect_judicial, s.protect_political,
    )
