"""Leadership (step 10 of the week, ODD 7.10): successions start when leaders fall and end
in a promotion; an organization in succession may split.
"""

from __future__ import annotations

import numpy as np

from ..kernels.leadership import run_successions
from ..kernels.member_index import promote_leader_indexed, split_members_indexed

# Kept between weeks (on the organizations): leader, weeks of succession left, cohesion,
# whether this succession already split, parents of fragments. This week's results:
# removals, n_splits.
KEEPS = ("orgs.leader", "orgs.succession", "orgs.cohesion", "orgs.split_done",
         "orgs.parent")


def derive(s) -> None:
    """Tables from parameters (rebuilt when parameters change): the log of the weekly
    probability not to split at zero cohesion (over a whole succession the splits add up to
    ``conflict.split_prob``)."""
    c = s.pars.conflict
    s.split_log_keep = float(np.log1p(-min(c.split_prob, 1.0 - 1e-12)) / c.succession_weeks)


def step(s) -> None:
    """Successions start when leaders fall. The struggle starts with the fall (C15, P15,
    LP18): while a succession runs, the organization splits with a weekly hazard
    proportional to its lost cohesion, which is lowest right after the removal and then
    recovers, so splits cluster in the first months; at most one split per succession.
    The succession ends after succession_weeks with the promotion of a new leader."""
    c, o, m = s.pars.conflict, s.orgs, s.members
    candidates = np.empty(o.capacity, np.int64)
    split_x = np.empty(o.capacity)
    done = np.empty(o.capacity, np.int64)
    # weekly split probability: over a whole succession at zero cohesion it adds up to
    # split_prob; (1 - cohesion) scales the weekly hazard: -expm1(split_log_keep * (1 -
    # cohesion)), the kernel giving the argument (split_x)
    s.removals, n_cand, n_done = run_successions(
        s.leader_lost, o.leader, o.succession, o.split_done, o.cohesion, o.active, s.counts,
        int(c.succession_weeks), c.cohesion_shock, c.cohesion_recovery, 20 * s.scale,
        s.split_log_keep, candidates, split_x, done,
    )
    s.n_splits = 0
    if n_cand:
        p = (-np.expm1(split_x[:n_cand])).tolist()  # numpy's expm1
        rng = s.streams["leadership"]
        for org, p_org in zip(candidates[:n_cand].tolist(), p, strict=True):
            if rng.random() < p_org:
                split(s, org, rng)  # keeps the counts of both organizations current
                o.split_done[org] = True
    for org in done[:n_done].tolist():
        o.leader[org] = promote_leader_indexed(*s.members_by_org(), m.status, m.org, m.role,
                                               m.region, m.joined, org, s.counts)


def split(s, org: int, rng) -> None:
    """The organization splits: a rival fragment takes each active member with
    probability split_share, in every region where the organization operates, so the
    fragment fights its parent wherever both are present. Jailed members stay."""
    o, m, c = s.orgs, s.members, s.pars.conflict
    if o.n == o.capacity:
        s.grow_orgs()
    new = o.n
    o.n += 1
    n_frag = sum(1 for p in o.parent[:new] if p == org) + 1
    o.names.append(f"{o.names[org]} faction {n_frag}")
    regions = s.counts[org].sum(axis=1) > 0
    share_r = np.where(regions, c.split_share, 0.0)
    before = s.counts[org].sum() + 0.0
    moved = split_members_indexed(rng, *s.members_by_org(), m.status, m.org, m.region, org,
                                  new, share_r, m.role, s.counts)  # counts kept current
    s.member_index_fresh = False  # members changed organization
    frac = moved / max(before, 1.0)
    for name in ("kind", "home", "trades", "origin", "risk_ev", "risk_tr"):
        getattr(o, name)[new] = getattr(o, name)[org]
    o.active[new] = True
    o.parent[new] = org
    o.cohesion[new] = 0.5
    o.cash[new] = frac * max(o.cash[org], 0.0)
    o.cash[org] -= o.cash[new]
    o.role_memory[new] = frac * o.role_memory[org]  # the fragment remembers its share
    o.role_memory[org] *= 1.0 - frac
    o.ship_target[new] = frac * o.ship_target[org]
    o.ship_target[org] *= 1.0 - frac
    o.base_presence[new] = o.base_presence[org] * share_r
    if o.base_presence[new].sum() > 0:
        o.base_presence[new] /= o.base_presence[new].sum()
    o.rivalry[new, :] = o.rivalry[org, :]
    o.rivalry[:, new] = o.rivalry[:, org]
    o.alliance[new, :] = 0.5 * o.alliance[org, :]
    o.alliance[:, new] = 0.5 * o.alliance[:, org]
    o.rivalry[new, org] = o.rivalry[org, new] = c.split_rivalry
    o.alliance[new, org] = o.alliance[org, new] = 0.0
    o.intel[:, new] = o.intel[:, org]
    for name in ("h_arrest", "h_death", "conviction", "intel_or"):  # this week's exposure
        a = getattr(s, name)
        a[new] = a[org]
    o.threat[new] = o.threat[org] * frac
    o.leader[new] = promote_leader_indexed(*s.members_by_org(), m.status, m.org, m.role,
                                           m.region, m.joined, new, s.counts)
    s.n_splits += 1
