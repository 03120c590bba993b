"""Member kernels: arrests, convictions, deaths, exits, releases, recruitment and ties."""

import numpy as np
from numba import njit

from .draws import as_generator, below

# Codes mirror sim.enums (numba cannot read IntEnum members inside kernels).
ACTIVE = 1
INCARCERATED = 2
DEAD = 3
EXITED = 4
LEADER = 0
LIEUTENANT = 1


@njit(cache=True, nogil=True)
def _next_candidate(rng, i, h_max, log_miss):
    """The next slot after ``i`` that gets a draw: a geometric gap with success ``h_max``."""
    if not h_max > 0.0:  # also NaN
        return -2  # never
    if h_max >= 1.0:
        return i + 1
    gap = np.log(1.0 - rng.random()) / log_miss
    if gap > 4e18:
        return -2
    return i + 1 + int(gap)


@njit(cache=True, nogil=True)
def _jail_before(a, b, release):
    """Heap order of the jail: earlier release week first, then lower slot."""
    return release[a] < release[b] or (release[a] == release[b] and a < b)


@njit(cache=True, nogil=True)
def jail_push(i, release, jail, n_jail):
    """Add member ``i`` (its ``release`` week already set) to the jail heap; return the new
    jail size. The first ``n_jail`` entries of ``jail`` are a binary min-heap ordered by
    (release week, slot), so the members due this week are found at its root."""
    j = n_jail
    while j > 0:
        parent = (j - 1) >> 1
        if not _jail_before(i, jail[parent], release):
            break
        jail[j] = jail[parent]
        j = parent
    jail[j] = i
    return n_jail + 1


@njit(cache=True, nogil=True)
def _jail_sift_down(j, i, release, jail, n_jail):
    """Place member ``i`` at heap position ``j`` or below (its subtrees are heaps)."""
    while True:
        c = 2 * j + 1
        if c >= n_jail:
            break
        if c + 1 < n_jail and _jail_before(jail[c + 1], jail[c], release):
            c += 1
        if not _jail_before(jail[c], i, release):
            break
        jail[j] = jail[c]
        j = c
    jail[j] = i


@njit(cache=True, nogil=True)
def jail_pop(release, jail, n_jail):
    """Remove the root of the jail heap (the member due first); return the new jail size."""
    n_jail -= 1
    if n_jail > 0:
        _jail_sift_down(0, jail[n_jail], release, jail, n_jail)
    return n_jail


@njit(cache=True, nogil=True)
def jail_push_many(idx, release, jail, n_jail):
    """Add the members ``idx`` (release weeks set) to the jail heap; return the new size."""
    for i in idx:
        n_jail = jail_push(i, release, jail, n_jail)
    return n_jail


@njit(cache=True, nogil=True)
def jail_heapify(release, jail, n_jail):
    """Restore the heap order of the first ``n_jail`` entries after release weeks changed
    (an amnesty brings some forward)."""
    for j in range((n_jail >> 1) - 1, -1, -1):
        _jail_sift_down(j, jail[j], release, jail, n_jail)


@njit(cache=True, nogil=True)
def jail_member(i, week, sentence_weeks, status, release, jail, n_jail):
    """Incarcerate member ``i`` until ``week + sentence_weeks``; return the new jail size."""
    status[i] = INCARCERATED
    release[i] = week + sentence_weeks
    return jail_push(i, release, jail, n_jail)


@njit(cache=True, nogil=True)
def _log_miss(bound):
    return np.log1p(-bound) if bound < 1.0 else -np.inf


@njit(cache=True, nogil=True)
def step_members(
    stream, week, n_used, cell_start, cell_slots, tail_from, status, org, role, region,
    release, jail, n_jail, h_arrest, conviction, h_death, h_exit_o, h_max_or, h_max,
    sentence_mean,
    return_prob, org_active, counts, arrests_or, deaths_or, events, leader_lost, org_leader,
    pool,
):
    """One week of member life: competing risks for active members, then releases from prison.

    Active member i of org o in region r with role k faces competing hazards (rates per week):
    arrest ``h_a = h_arrest[o,r,k]`` (convicted with probability ``conviction[o,r]``, else
    released at once), death ``h_d = h_death[o,r,k]`` and exit ``h_e = h_exit_o[o]`` (leaders
    never exit voluntarily). With ``h = h_a + h_d + h_e`` an event happens this week with
    probability ``p = 1 - exp(-h)`` and is an arrest, a death or an exit in proportion
    ``h_a : h_d : h_e`` (the exact competing-risks split for a week of constant hazards; any
    hazard, however large, gives a probability in [0, 1]). One uniform draw u decides: arrest if
    u < p h_a / h, death if u < p (h_a + h_d) / h, exit if u < p.

    Draws are thinned over the live members only, cell by cell: the member index regrouped
    by (organization, region) cell (``cell_start``, ``cell_slots``: cell ``c = o * R + r``
    holds ``cell_slots[cell_start[c]:cell_start[c + 1]]``, see
    ``sim.kernels.member_index.cells_of_index``; it must be fresh, every listed member still
    in the organization it is filed under) is walked with geometric gaps of success
    probability ``h_max_or[o, r]`` (a probability that bounds the event probability of
    every member of o in r) between candidate positions, and a candidate's u is uniform on
    [0, h_max_or[o, r]); the slots not indexed yet (``tail_from .. n_used - 1``, recent
    recruits) are walked the same way at ``h_max``, a bound for every member. Each active
    member gets exactly the probabilities above while only about ``h_max_or`` of the live
    members are visited; dead and exited members cost nothing once the index is rebuilt
    without them (listed ones and the jailed are skipped when a gap lands on them). An empty
    index (``cell_start`` all zeros, ``tail_from = 0``) walks every slot at ``h_max``.

    The convicted serve exponential sentences (mean ``sentence_mean``) and enter the jail
    heap (``jail``, first ``n_jail`` entries, ordered by release week then slot). Members
    due (``release[i] <= week``) are taken from its root in that order: they return to their
    organization with ``return_prob`` if it is still active, else exit; a returning leader
    comes back as a lieutenant. Only those due are read. ``counts[o,r,k]`` (active members)
    is kept current event by event, and returning members enter the recruiter ``pool``.
    Fills ``events`` = [arrests, incarcerations, deaths, exits, releases, returns]; returns
    the new jail size.
    """
    rng = as_generator(stream)  # a Generator, or generator_pointers(Generator)
    mask = pool.shape[1] - 1  # pool width is a power of two
    arrests_or[:] = 0
    deaths_or[:] = 0
    events[:] = 0
    n_regions = h_max_or.shape[1]
    n_groups = cell_start.shape[0] - 1
    for g in range(n_groups + 1):  # the (organization, region) cells, then the tail
        if g < n_groups:
            o, r = g // n_regions, g % n_regions
            a, z, bound = cell_start[g], cell_start[g + 1], h_max_or[o, r]
        else:
            a, z, bound = tail_from, n_used, h_max
        if z <= a:
            continue
        log_miss = _log_miss(bound)
        q = _next_candidate(rng, a - 1, bound, log_miss)
        while a <= q < z:
            i = cell_slots[q] if g < n_groups else q
            q = _next_candidate(rng, q, bound, log_miss)
            if status[i] != ACTIVE:
                continue
            if g == n_groups:
                o = org[i]
                r = region[i]
            k = role[i]
            ha = max(h_arrest[o, r, k], 0.0)
            hd = max(h_death[o, r, k], 0.0)
            he = max(h_exit_o[o], 0.0) if k != LEADER else 0.0  # leaders leave only by force
            h = ha + hd + he
            u = rng.random() * bound
            if h > 0.0:
                if h < np.inf:
                    scale = -np.expm1(-h) / h  # the event probability per unit of hazard
                    ha *= scale
                    hd *= scale
                    he *= scale
                else:  # an infinite hazard: certain, shared among the infinite ones
                    n_inf = (ha == np.inf) + (hd == np.inf) + (he == np.inf)
                    ha = (ha == np.inf) / n_inf
                    hd = (hd == np.inf) / n_inf
                    he = (he == np.inf) / n_inf
            if u < ha:
                events[0] += 1
                arrests_or[o, r] += 1
                if rng.random() < conviction[o, r]:
                    sentence = 1 + int(-sentence_mean * np.log(1.0 - rng.random()))
                    n_jail = jail_member(i, week, sentence, status, release, jail, n_jail)
                    counts[o, r, k] -= 1
                    events[1] += 1
                    if k == LEADER and org_leader[o] == i:
                        leader_lost[o] = 1
            elif u < ha + hd:
                status[i] = DEAD
                counts[o, r, k] -= 1
                events[2] += 1
                deaths_or[o, r] += 1
                if k == LEADER and org_leader[o] == i:
                    leader_lost[o] = 1
            elif u < ha + hd + he:
                status[i] = EXITED
                counts[o, r, k] -= 1
                events[3] += 1
    while n_jail > 0:
        i = jail[0]
        if status[i] != INCARCERATED:  # left prison some other way: drop from the heap
            n_jail = jail_pop(release, jail, n_jail)
            continue
        if release[i] > week:  # the root is due first: nobody else is due
            break
        n_jail = jail_pop(release, jail, n_jail)
        events[4] += 1
        o = org[i]
        if org_active[o] and rng.random() < return_prob:
            status[i] = ACTIVE
            events[5] += 1
            if role[i] == LEADER:
                role[i] = LIEUTENANT  # a released leader comes back as a lieutenant
            counts[o, region[i], role[i]] += 1
            pool[o, (i * 2654435761) & mask] = i
        else:
            status[i] = EXITED
    return n_jail


@njit(cache=True, nogil=True)
def _tie_one_way(ties, x, y, rng):
    K = ties.shape[1]
    for s in range(K):
        if ties[x, s] == y:
            return
        if ties[x, s] < 0:
            ties[x, s] = y
            return
    ties[x, below(rng, K)] = y


@njit(cache=True, nogil=True)
def add_tie(ties, a, b, rng):
    """Tie a and b both ways, overwriting a random slot when a member's list is full."""
    _tie_one_way(ties, a, b, rng)
    _tie_one_way(ties, b, a, rng)


@njit(cache=True, nogil=True)
def _pick_role(o, kind, total, counts_ok, role_share, memory, fill, common_only):
    """The role a recruit of organization ``o`` takes: the largest shortfall below the
    remembered headcount (at least one member), else the largest deficit against the target
    shares; ``common_only`` skips scarce roles (``fill < 1``). Never the leader (role 0)."""
    n_roles = role_share.shape[1]
    best, best_gap = -1, 0.999
    for k in range(1, n_roles):
        if common_only and fill[k] < 1.0:
            continue
        gap = memory[o, k] - counts_ok[o, k]
        if gap > best_gap:
            best_gap, best = gap, k
    if best >= 0:
        return best
    best, best_gap = 1, -1e18
    for k in range(1, n_roles):
        if common_only and fill[k] < 1.0:
            continue
        gap = role_share[kind, k] * (total + 1) - counts_ok[o, k]
        if gap > best_gap:
            best_gap, best = gap, k
    return best


@njit(cache=True, nogil=True)
def recruit(
    rng, week, n_used, new_or, role_share, org_kind, counts_ok, counts, status, org, role,
    region, joined, release, ties, pool, ties_per_recruit, memory, fill,
):
    """Append the week's recruits (``new_or[o, r]`` people) at slot ``n_used`` onward.

    Each recruit takes the role furthest below the headcount the organization remembers
    (``memory[o, role]``: role-based recovery, D14) or, with no role a whole member short,
    the role whose share is furthest below its target (``role_share[kind, role]``). It ties
    to a recruiter drawn from the organization's sample ``pool`` (same region if one is
    found in a few draws) and to the recruiter's contacts (PROTON-OC: recruitment through
    ties), and enters the pool itself (slot chosen by hashing its index). A scarce role k
    (``fill[k] < 1``: launderers, traffickers) is taken only with probability ``fill[k]``
    (skills and trust are scarce, D14); otherwise the recruit takes the common role
    (``fill == 1``) chosen by the same rule. Returns the new ``n_used``.
    """
    O, R = new_or.shape
    n_roles = role_share.shape[1]
    K = ties.shape[1]
    S = pool.shape[1]
    i = n_used
    for o in range(O):
        n_new = 0
        for r in range(R):
            n_new += new_or[o, r]
        if n_new == 0:
            continue
        total = 0
        for k in range(n_roles):
            total += counts_ok[o, k]
        has_pool = False  # any recruiter in the pool
        for s in range(S):
            if pool[o, s] >= 0:
                has_pool = True
                break
        for r in range(R):
            for _ in range(new_or[o, r]):
                best = _pick_role(o, org_kind[o], total, counts_ok, role_share, memory, fill,
                                  False)
                if fill[best] < 1.0 and rng.random() >= fill[best]:
                    best = _pick_role(o, org_kind[o], total, counts_ok, role_share, memory,
                                      fill, True)
                counts_ok[o, best] += 1
                counts[o, r, best] += 1
                total += 1
                status[i] = ACTIVE
                org[i] = o
                role[i] = best
                region[i] = r
                joined[i] = week
                release[i] = 0
                for s in range(K):
                    ties[i, s] = -1
                if has_pool and ties_per_recruit > 0:
                    rec = -1
                    for _t in range(8):
                        cand = pool[o, below(rng, S)]
                        if cand < 0 or status[cand] != ACTIVE:
                            continue
                        rec = cand
                        if region[cand] == r:
                            break
                    if rec >= 0:
                        add_tie(ties, i, rec, rng)
                        extra = ties_per_recruit - 1
                        for s in range(K):
                            if extra <= 0:
                                break
                            f = ties[rec, s]
                            if f >= 0 and f != i and status[f] == ACTIVE:
                                add_tie(ties, i, f, rng)
                                extra -= 1
                pool[o, (i * 2654435761) & (S - 1)] = i
                i += 1
    return i


@njit(cache=True, nogil=True)
def arrest_members_of_role(rng, week, n_used, o, k, n_wanted, status, org, role, region,
                           release, jail, n_jail, sentence_mean, counts):
    """A matured case: arrest and incarcerate up to ``n_wanted`` active members of org ``o``
    with role ``k``, chosen at random; ``counts`` and ``jail`` are kept current. Returns
    (how many, new jail size)."""
    m = 0
    for i in range(n_used):
        if status[i] == ACTIVE and org[i] == o and role[i] == k:
            m += 1
    if m == 0 or n_wanted <= 0:
        return 0, n_jail
    pool = np.empty(m, np.int64)
    m = 0
    for i in range(n_used):
        if status[i] == ACTIVE and org[i] == o and role[i] == k:
            pool[m] = i
            m += 1
    return arrest_from_pool(rng, week, pool, m, o, k, n_wanted, status, region, release, jail,
                            n_jail, sentence_mean, counts)


@njit(cache=True, nogil=True)
def arrest_from_pool(rng, week, pool, m, o, k, n_wanted, status, region, release, jail, n_jail,
                     sentence_mean, counts):
    """Arrest up to ``n_wanted`` of the first ``m`` members in ``pool`` (all active, of org
    ``o`` and role ``k``), drawn at random without replacement, each with an exponential
    sentence; ``pool`` is consumed. Returns (how many, new jail size)."""
    done = 0
    while done < n_wanted and m > 0:
        j = rng.integers(0, m)
        i = pool[j]
        pool[j] = pool[m - 1]
        m -= 1
        sentence = 1 + int(-sentence_mean * np.log(1.0 - rng.random()))
        n_jail = jail_member(i, week, sentence, status, release, jail, n_jail)
        counts[o, region[i], k] -= 1
        done += 1
    return done, n_jail


@njit(cache=True, nogil=True)
def count_active(n_used, status, org, region, role, counts):
    """Recount active members by (organization, region, role)."""
    counts[:] = 0
    for i in range(n_used):
        if status[i] == ACTIVE:
            counts[org[i], region[i], role[i]] += 1


@njit(cache=True, nogil=True)
def split_members(rng, n_used, status, org, region, old, new, share_r, role, counts):
    """Split: each active member of ``old`` in region r joins ``new`` with probability
    ``share_r[r]`` (jailed members stay with ``old``); ``counts`` is kept current. Returns
    how many moved."""
    moved = 0
    for i in range(n_used):
        if org[i] == old and status[i] == ACTIVE:
            if share_r[region[i]] > 0.0 and rng.random() < share_r[region[i]]:
                org[i] = new
                counts[old, region[i], role[i]] -= 1
                counts[new, region[i], role[i]] += 1
                moved += 1
    return moved


@njit(cache=True, nogil=True)
def promote_leader(n_used, status, org, role, region, joined, o, counts):
    """Make the longest-serving active lieutenant of ``o`` (else any active member) its leader,
    keeping ``counts`` current. Returns the new leader's index, or -1 if the organization has
    no active member."""
    best = -1
    best_key = np.int64(-(2 ** 62))
    for i in range(n_used):
        if org[i] == o and status[i] == ACTIVE:
            key = -np.int64(joined[i]) + (np.int64(1) << 40 if role[i] == LIEUTENANT else 0)
            if key > best_key:
                best_key = key
                best = i
    if best >= 0:
        counts[o, region[best], role[best]] -= 1
        role[best] = LEADER
        counts[o, region[best], LEADER] += 1
    return best


@njit(cache=True, nogil=True)
def init_ties(rng, block_start, ties, per_member):
    """Initial ties: each member ties to ``per_member`` random members of its own
    (organization, region) block; blocks are contiguous slot ranges."""
    for b in range(block_start.shape[0] - 1):
        a = block_start[b]
        z = block_start[b + 1]
        n = z - a
        if n < 2:
            continue
        for i in range(a, z):
            for _ in range(per_member):
                j = a + rng.integers(0, n)
                if j != i:
                    add_tie(ties, i, j, rng)
