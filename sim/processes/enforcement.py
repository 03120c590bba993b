"""Enforcement (step 7 of the week, ODD 7.7).

Agencies assign investigators by threat, build and share intelligence on organizations, and
set this week's arrest hazards and conviction probabilities; cases mature into arrests of
leaders and lieutenants and asset seizures.
"""

from __future__ import annotations

import numpy as np

from ..enums import Role, Status
from ..kernels.draws import generator_pointers
from ..kernels.enforcement import enforcement_and_cases
from ..kernels.member_index import arrest_members_of_role_indexed
from ..state import role_vector

# Kept between weeks (on the state): agencies' intelligence on each organization
# (orgs.intel). This week's results: investigators_ao, intel_or, h_arrest, conviction,
# case_arrests, cases, case_seized.
KEEPS = ("orgs.intel",)


def derive(s) -> None:
    """Tables from parameters (rebuilt when parameters change): exposure to arrest by role."""
    s.arrest_exposure = role_vector(s.pars.enforcement, "exposure_")


def step(s) -> None:
    e, w, o = s.pars.enforcement, s.world, s.orgs
    i = s.pars.interdiction
    s.investigators_ao = np.empty(o.intel.shape)
    s.conviction = np.empty((o.capacity, s.R))
    # investigation, intelligence and this week's hazards; then, when any case is ripe, the
    # cases that mature, on one draw per agency and organization in use (in the kernel, from
    # the enforcement stream). In a scaled world each organization is `scale` times larger:
    # it takes as many times more investigator-weeks to learn as much about it. Leaders'
    # exposure is 0: they are taken only by cases.
    rng = generator_pointers(s.streams["enforcement"])  # the stream, for the kernels
    intel, m = o.intel, s.members
    hit_a = np.empty(intel.shape[0] * o.n, np.int64)
    hit_o = np.empty(intel.shape[0] * o.n, np.int64)
    n_hits = enforcement_and_cases(
        rng, s.counts, w.agency_regions, s.agency_budget,
        e.investigator_cost,
        o.threat ** s.pars.threat.targeting_exponent,  # numpy's pow
        o.active, s.task_force, e.intel_rate / s.scale, e.intel_decay, s.protect_political,
        min(e.share_rate + s.share_rate_add, 1.0), s.agency_partners, intel,
        e.arrest_rate, s.enforcement_capacity, i.intel_gain, s.protect_seize,
        s.arrest_exposure, s.extra_arrest, s.judicial_capacity, s.protect_judicial,
        e.case_threshold, o.n, s.investigators_ao, s.intel_or, s.h_arrest, s.conviction,
        e.case_rate, s.case_rate_mult, hit_a, hit_o,
    )

    # cases mature into arrests of the leadership and asset seizures
    s.case_arrests = 0
    s.cases = 0
    s.case_seized = 0.0
    if not n_hits:
        return
    for a, org in zip(hit_a[:n_hits].tolist(), hit_o[:n_hits].tolist(), strict=True):
        s.cases += 1
        leader = o.leader[org]
        if leader >= 0 and m.status[leader] == Status.ACTIVE:
            m.status[leader] = Status.INCARCERATED
            m.release[leader] = s.week + int(2 * e.sentence_weeks)
            m.jail_add(np.array([leader]))
            s.counts[org, m.region[leader], m.role[leader]] -= 1
            s.leader_lost[org] = 1
            s.case_arrests += 1
        n_arrested, m.n_jail = arrest_members_of_role_indexed(
            rng, s.week, org, int(Role.LIEUTENANT),
            int(round(e.case_lieutenants * s.scale)),
            *s.members_by_org(), m.status, m.org, m.role, m.region, m.release, m.jail,
            m.n_jail, e.sentence_weeks, s.counts)
        s.case_arrests += n_arrested
        seized = e.case_asset_share * (max(o.cash[org], 0.0) + o.laundered[org])
        o.cash[org] -= e.case_asset_share * max(o.cash[org], 0.0)
        o.laundered[org] -= e.case_asset_share * o.laundered[org]
        s.case_seized += seized
        intel[a, org] *= 0.5
    s.ledger.seized += s.case_seized
    s.ledger.members_event(incarcerated=s.case_arrests)
