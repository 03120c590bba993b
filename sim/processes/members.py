"""Members (step 9 of the week, ODD 7.9): arrests and convictions, deaths, exits and
releases (``sim.kernels.members.step_members``); homicides by region.
"""

from __future__ import annotations

import numpy as np

from ..enums import Role, Status
from ..kernels.draws import generator_pointers
from ..kernels.member_hazards import event_bounds, homicides, member_hazard_bounds
from ..kernels.members import step_members
from ..kernels.recruitment import LAM_TOO_LARGE

# Kept between weeks (on the state): the member arrays and the jail heap (members), active
# members by organization, region and role (counts, kept current event by event), the
# regions' violence. This week's results: member_events, arrests_or, deaths_or,
# leader_lost, bystanders_r, homicides_r.
KEEPS = ("members", "counts", "violence_r")


def step(s) -> None:
    e, o, m = s.pars.enforcement, s.orgs, s.members
    h_exit, h_max_or = np.empty(o.capacity), np.empty((o.capacity, s.R))
    # hazards are rates; the kernel turns them into weekly probabilities 1 - exp(-h):
    # the exit hazards (h_exit[o]) and, per organization and region, minus the largest
    # hazard a member can have (-bound[o, r], in h_max_or for now)
    n_active = member_hazard_bounds(s.h_arrest, s.h_death, e.exit_rate,
                                    e.unpaid_exit_multiplier, o.stress, s.counts, h_exit,
                                    h_max_or)
    # h_max_or = 1 - exp(-bound) bounds the event probability of every member of
    # organization o in region r (1 where the bound is NaN: visit all of them), h_max every
    # member's
    with np.errstate(invalid="ignore", over="ignore"):
        np.expm1(h_max_or, out=h_max_or)  # numpy's expm1
    h_max = event_bounds(h_max_or)
    # visits the index wastes this week (expected): gaps landing on members dead or gone
    # since it was built, and the unindexed tail walked at the largest bound
    tail = m.n - s.member_index_upto
    gone = s.member_index_slots.shape[0] + tail - n_active - m.n_jail
    tail_from = s.members_by_org(wasted=(gone + tail) * h_max)[2]
    m.n_jail = step_members(
        generator_pointers(s.streams["members"]), s.week, m.n, s.member_cells_start,
        s.member_cells_slots, tail_from, m.status, m.org, m.role, m.region, m.release, m.jail,
        m.n_jail,
        s.h_arrest, s.conviction, s.h_death, h_exit, h_max_or, h_max, e.sentence_weeks,
        e.return_prob, o.active, s.counts, s.arrests_or, s.deaths_or, s.member_events,
        s.leader_lost, o.leader, s.recruiter_pool,
    )
    ev = s.member_events
    s.ledger.members_event(incarcerated=int(ev[1]), died=int(ev[2]), exited=int(ev[3]),
                           released=int(ev[4]), returned=int(ev[5]))
    # bystanders killed: Poisson, bystander_ratio per member killed, by region
    s.bystanders_r, s.homicides_r = np.empty(s.R, np.int64), np.empty(s.R, np.int64)
    code = homicides(generator_pointers(s.streams["conflict"]), s.deaths_or,
                     s.pars.conflict.bystander_ratio, s.world.population, s.bystanders_r,
                     s.homicides_r, s.violence_r)
    if code:  # as numpy's Generator.poisson would have raised, before any draw
        raise ValueError("lam value too large" if code == LAM_TOO_LARGE
                         else "lam < 0 or lam contains NaNs")


def arrest(s, idx: np.ndarray, rng: np.random.Generator | None = None,
           sentence_weeks: float | None = None) -> int:
    """Arrest the active members ``idx`` (an intervention's direct action). With ``rng``
    the courts convict each with this week's probability ``conviction[org, region]`` and
    the rest go free; without, all are incarcerated. Counts, leaders and the ledger are
    kept current. Returns how many were arrested."""
    m, e = s.members, s.pars.enforcement
    idx = np.asarray(idx, np.int64)
    idx = idx[m.status[idx] == Status.ACTIVE]
    if idx.size == 0:
        return 0
    s.intervention_arrests += int(idx.size)
    if rng is not None:
        conv = getattr(s, "conviction", None)
        p = conv[m.org[idx], m.region[idx]] if conv is not None else 1.0
        idx = idx[rng.random(idx.size) < p]
        if idx.size == 0:
            return 0
    m.status[idx] = Status.INCARCERATED
    m.release[idx] = s.week + int(sentence_weeks or e.sentence_weeks)
    m.jail_add(idx)
    np.subtract.at(s.counts, (m.org[idx], m.region[idx], m.role[idx]), 1)
    leaders = idx[m.role[idx] == Role.LEADER]
    for i in leaders:
        if s.orgs.leader[m.org[i]] == i:
            s.leader_lost[m.org[i]] = 1
    s.ledger.members_event(incarcerated=int(idx.size))
    return int(idx.size)
