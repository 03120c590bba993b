"""Leadership kernel: successions start when leaders fall, and run out (ODD 7.10)."""

from numba import njit


@njit(cache=True, nogil=True)
def run_successions(
    leader_lost, leader, succession, split_done, cohesion, org_active, counts,
    succession_weeks, cohesion_shock, cohesion_recovery, min_split_size, log_keep, candidates,
    split_x, done,
):
    """One week of successions for every organization, in this order: each organization
    whose leader fell (``leader_lost``, then cleared) loses its leader, starts a succession
    of ``succession_weeks`` that may split again, and its cohesion drops by
    ``cohesion_shock``; every organization's cohesion recovers by ``cohesion_recovery`` of
    what it lacks; every active organization in succession counts one week down.

    Fills ``candidates`` with the organizations in succession (before this week's count
    down) that may split this week (not split yet in this succession, at least
    ``min_split_size`` active members) and ``done`` with those whose succession ran out
    (a leader is to be promoted), both in organization order; ``split_x[k]`` = ``log_keep *
    (1 - cohesion)`` of candidate k (its weekly split probability is ``-expm1`` of it, taken
    in numpy). Returns (leaders lost, candidates, done). The arithmetic is that of the numpy
    code it replaced."""
    O = leader_lost.shape[0]
    R, K = counts.shape[1], counts.shape[2]
    removals = 0
    for o in range(O):
        if leader_lost[o] != 0:
            removals += leader_lost[o]
            leader[o] = -1
            succession[o] = succession_weeks
            split_done[o] = False
            cohesion[o] *= 1.0 - cohesion_shock
        leader_lost[o] = 0
    for o in range(O):
        cohesion[o] += cohesion_recovery * (1.0 - cohesion[o])
    n_cand = 0
    n_done = 0
    for o in range(O):
        if not (succession[o] > 0 and org_active[o]):
            continue
        if not split_done[o]:
            size = 0
            for r in range(R):
                for k in range(K):
                    size += counts[o, r, k]
            if size >= min_split_size:
                candidates[n_cand] = o
                split_x[n_cand] = log_keep * (1.0 - cohesion[o])
                n_cand += 1
        succession[o] -= 1
        if succession[o] <= 0:
            done[n_done] = o
            n_done += 1
    return removals, n_cand, n_done
