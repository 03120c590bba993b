"""A per-organization index of live members, and the member operations that use it.

The index lists the slots of every live member (active or incarcerated) grouped by
organization, each group in slot order: ``slots[start[o]:start[o + 1]]`` are organization
``o``'s. Dead and exited members are dropped when it is rebuilt and never come back, so the
operations on one organization (a case's arrests, a promotion, a split, a recount) cost its
live members, not every member slot ever used; the weekly member step
(``sim.kernels.members.step_members``) thins its draws over the index too, regrouped by
(organization, region) cell (``cells_of_index``), each cell at its own bound (its draws
depend on the index's layout, which is part of the model's state). Each of the
per-organization operations visits the same members in the same (slot) order as a scan of all
slots would, so it draws the same random numbers and gives the same result as the full-scan
kernels in ``sim.kernels.members``
(``tests/test_kernels.py`` checks both on the same cases).

Slots used after the index was built (``tail_from`` to ``n_used``: this week's recruits) are
scanned after the organization's group; they all come later in slot order, so the order is
kept. The index is stale once members change organization (a split);
``sim.state.State.members_by_org`` rebuilds it then, when the unindexed tail grows long, or
when the member step's visits wasted on members gone since add up, from the previous index
and the tail only (``reindex_members_by_org``, which also keeps each indexed slot's region
and makes the cells in the same pass).
"""

import numpy as np
from numba import njit

from .draws import as_generator
from .members import ACTIVE, INCARCERATED, LEADER, LIEUTENANT, arrest_from_pool


@njit(cache=True, nogil=True)
def index_members_by_org(status, org, n_used, prev_start, prev_slots, n_indexed, n_orgs):
    """The index of live members by organization (``start[n_orgs + 1]``, ``slots``), built
    from the previous index (``prev_start``, ``prev_slots``, which covered slots below
    ``n_indexed``) and the slots ``n_indexed .. n_used - 1``. Members are filed under their
    current organization. Falls back to a scan of every slot if filing would break the slot
    order of a group (it cannot with the model's moves: a split fills a new organization)."""
    counts = np.zeros(n_orgs + 1, np.int64)
    n_prev_orgs = prev_start.shape[0] - 1
    for p in range(n_prev_orgs):
        for q in range(prev_start[p], prev_start[p + 1]):
            i = prev_slots[q]
            if status[i] == ACTIVE or status[i] == INCARCERATED:
                counts[org[i] + 1] += 1
    for i in range(n_indexed, n_used):
        if status[i] == ACTIVE or status[i] == INCARCERATED:
            counts[org[i] + 1] += 1
    start = np.zeros(n_orgs + 1, np.int64)
    for o in range(n_orgs):
        start[o + 1] = start[o] + counts[o + 1]
    slots = np.empty(start[n_orgs], np.int64)
    fill = start[:n_orgs].copy()
    ordered = True
    for p in range(n_prev_orgs):
        for q in range(prev_start[p], prev_start[p + 1]):
            i = prev_slots[q]
            if status[i] == ACTIVE or status[i] == INCARCERATED:
                o = org[i]
                if fill[o] > start[o] and slots[fill[o] - 1] > i:
                    ordered = False
                slots[fill[o]] = i
                fill[o] += 1
    for i in range(n_indexed, n_used):
        if status[i] == ACTIVE or status[i] == INCARCERATED:
            o = org[i]
            if fill[o] > start[o] and slots[fill[o] - 1] > i:
                ordered = False
            slots[fill[o]] = i
            fill[o] += 1
    if not ordered:  # rebuild from every slot (slot order by construction)
        fill[:] = start[:n_orgs]
        for i in range(n_used):
            if status[i] == ACTIVE or status[i] == INCARCERATED:
                o = org[i]
                slots[fill[o]] = i
                fill[o] += 1
    return start, slots


@njit(cache=True, nogil=True)
def reindex_members_by_org(status, org, region, n_used, prev_start, prev_slots, prev_region,
                           n_indexed, n_orgs, n_regions):
    """``index_members_by_org`` (same ``start`` and ``slots``) that also returns each indexed
    slot's region (``slot_region``, aligned with ``slots``; members never change region) and
    the index regrouped by (organization, region) cell (``cell_start``, ``cell_slots``: what
    ``cells_of_index`` gives). Two passes over the live members of the previous index
    (regions from ``prev_region``) and of the slots ``n_indexed .. n_used - 1``: one counts
    them by cell, the other files them by organization and by cell (reading each member's
    status and organization twice measured no slower than gathering them once). A cell's
    members are a subsequence of its organization's, so they come in slot order whenever
    the organization's do. ``slots`` is int32, as ``cell_slots`` (member slots are int32:
    ``sim.agents.MAX_MEMBER_SLOTS``): the rebuild is bound by memory traffic, and int64
    slots cost 15% more. This is the rebuild the model uses; ``index_members_by_org`` and
    ``cells_of_index`` are the reference."""
    n_prev = prev_slots.shape[0]
    n_cells = n_orgs * n_regions
    cell_start = np.zeros(n_cells + 1, np.int64)
    for q in range(n_prev):  # count by cell: the old index, then the new slots
        i = prev_slots[q]
        if status[i] == ACTIVE or status[i] == INCARCERATED:
            cell_start[org[i] * n_regions + prev_region[q] + 1] += 1
    for i in range(n_indexed, n_used):
        if status[i] == ACTIVE or status[i] == INCARCERATED:
            cell_start[org[i] * n_regions + region[i] + 1] += 1
    for c in range(n_cells):
        cell_start[c + 1] += cell_start[c]
    start = np.empty(n_orgs + 1, np.int64)
    for o in range(n_orgs + 1):
        start[o] = cell_start[o * n_regions]
    m = start[n_orgs]
    slots = np.empty(m, np.int32)
    slot_region = np.empty(m, np.int32)
    cell_slots = np.empty(m, np.int32)
    fill = start[:n_orgs].copy()
    cell_fill = cell_start[:n_cells].copy()
    ordered = True
    # the same members again, filed: the old index, then the new slots. Runs of one
    # organization keep its next position and last slot filed in registers (cur, pos, last)
    cur = 0
    pos = fill[0] if n_orgs > 0 else 0
    last = -1
    for q in range(n_prev + max(n_used - n_indexed, 0)):
        i = prev_slots[q] if q < n_prev else n_indexed + q - n_prev
        if status[i] == ACTIVE or status[i] == INCARCERATED:
            o = org[i]
            r = prev_region[q] if q < n_prev else region[i]
            if o != cur:
                fill[cur] = pos
                cur = o
                pos = fill[o]
                last = slots[pos - 1] if pos > start[o] else -1
            if last > i:
                ordered = False
            last = i
            slots[pos] = i
            slot_region[pos] = r
            pos += 1
            c = o * n_regions + r
            cell_slots[cell_fill[c]] = i
            cell_fill[c] += 1
    if n_orgs > 0:
        fill[cur] = pos
    if not ordered:  # rebuild from every slot (slot order by construction)
        fill[:] = start[:n_orgs]
        for i in range(n_used):
            if status[i] == ACTIVE or status[i] == INCARCERATED:
                o = org[i]
                slots[fill[o]] = i
                slot_region[fill[o]] = region[i]
                fill[o] += 1
        cell_start, cell_slots = cells_of_index(start, slots, slot_region, n_regions)
    return start, slots, slot_region, cell_start, cell_slots


@njit(cache=True, nogil=True)
def cells_of_index(start, slots, slot_region, n_regions):
    """The index regrouped by (organization, region) cell for the member step: cell
    ``c = o * n_regions + r`` holds ``cell_slots[cell_start[c]:cell_start[c + 1]]`` (int32
    member indices, slot order within a cell). Built from the index in one sequential pass."""
    n_orgs = start.shape[0] - 1
    n_cells = n_orgs * n_regions
    cell_start = np.zeros(n_cells + 1, np.int64)
    for o in range(n_orgs):
        for q in range(start[o], start[o + 1]):
            cell_start[o * n_regions + slot_region[q] + 1] += 1
    for c in range(n_cells):
        cell_start[c + 1] += cell_start[c]
    cell_slots = np.empty(slots.shape[0], np.int32)
    fill = cell_start[:n_cells].copy()
    for o in range(n_orgs):
        for q in range(start[o], start[o + 1]):
            c = o * n_regions + slot_region[q]
            cell_slots[fill[c]] = slots[q]
            fill[c] += 1
    return cell_start, cell_slots


@njit(cache=True, nogil=True)
def members_of(o, start, slots, tail_from, n_used, org):
    """The slots filed under organization ``o`` and the unindexed slots of ``o``, in slot
    order (members of ``o`` may have left it since: callers check)."""
    n = start[o + 1] - start[o]
    for i in range(tail_from, n_used):
        if org[i] == o:
            n += 1
    out = np.empty(n, np.int64)
    k = 0
    for q in range(start[o], start[o + 1]):
        out[k] = slots[q]
        k += 1
    for i in range(tail_from, n_used):
        if org[i] == o:
            out[k] = i
            k += 1
    return out


@njit(cache=True, nogil=True)
def _member_of(q, o, start, slots, tail_from):
    """The ``q``-th slot of ``members_of(o, ...)`` without building that list: filed slots
    first, then the unindexed slots from ``tail_from`` (all of them: callers check the
    organization, as they do for ``members_of``)."""
    n_filed = start[o + 1] - start[o]
    return slots[start[o] + q] if q < n_filed else tail_from + q - n_filed


@njit(cache=True, nogil=True)
def arrest_members_of_role_indexed(stream, week, o, k, n_wanted, start, slots, tail_from, n_used,
                                   status, org, role, region, release, jail, n_jail,
                                   sentence_mean, counts):
    """``sim.kernels.members.arrest_members_of_role`` over organization ``o``'s live members
    only: up to ``n_wanted`` of its active members with role ``k``, chosen at random, are
    incarcerated (and put in the jail heap). Returns (how many, new jail size).

    (Numba's cache keys a kernel on its own source file: a change to
    ``sim.kernels.members.arrest_from_pool`` or the jail heap it calls needs a change here
    too, or a stale compiled copy with the old code inlined is loaded.)"""
    rng = as_generator(stream)  # a Generator, or generator_pointers(Generator)
    # the organization's filed slots, then the unindexed tail: members_of's order, read in
    # place (the list itself is not built)
    n_visit = start[o + 1] - start[o] + max(n_used - tail_from, 0)
    pool = np.empty(n_visit, np.int64)
    m = 0
    for q in range(n_visit):
        i = _member_of(q, o, start, slots, tail_from)
        if status[i] == ACTIVE and org[i] == o and role[i] == k:
            pool[m] = i
            m += 1
    if m == 0 or n_wanted <= 0:
        return 0, n_jail
    return arrest_from_pool(rng, week, pool, m, o, k, n_wanted, status, region, release, jail,
                            n_jail, sentence_mean, counts)


@njit(cache=True, nogil=True)
def promote_leader_indexed(start, slots, tail_from, n_used, status, org, role, region, joined,
                           o, counts):
    """``sim.kernels.members.promote_leader`` over organization ``o``'s live members only:
    its longest-serving active lieutenant (else any active member) becomes its leader.
    Returns the new leader's index, or -1."""
    best = -1
    best_key = np.int64(-(2 ** 62))
    for q in range(start[o + 1] - start[o] + max(n_used - tail_from, 0)):  # members_of's
        i = _member_of(q, o, start, slots, tail_from)
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
def split_members_indexed(rng, start, slots, tail_from, n_used, status, org, region, old, new,
                          share_r, role, counts):
    """``sim.kernels.members.split_members`` over organization ``old``'s live members only:
    each active one in region r joins ``new`` with probability ``share_r[r]``; ``counts`` is
    kept current. Returns how many moved (the index is stale afterwards)."""
    moved = 0
    for q in range(start[old + 1] - start[old] + max(n_used - tail_from, 0)):  # members_of's
        i = _member_of(q, old, start, slots, tail_from)
        if org[i] == old and status[i] == ACTIVE:
            if share_r[region[i]] > 0.0 and rng.random() < share_r[region[i]]:
                org[i] = new
                counts[old, region[i], role[i]] -= 1
                counts[new, region[i], role[i]] += 1
                moved += 1
    return moved


@njit(cache=True, nogil=True)
def count_active_indexed(start, slots, tail_from, n_used, status, org, region, role, counts):
    """``sim.kernels.members.count_active`` over the indexed (live) members and the
    unindexed tail only."""
    counts[:] = 0
    for q in range(start[start.shape[0] - 1]):
        i = slots[q]
        if status[i] == ACTIVE:
            counts[org[i], region[i], role[i]] += 1
    for i in range(tail_from, n_used):
        if status[i] == ACTIVE:
            counts[org[i], region[i], role[i]] += 1
