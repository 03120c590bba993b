"""The members' exit hazards and the bound on every member's weekly hazard (ODD 7.9), for
``sim.kernels.members.step_members``."""

from numba import njit


@njit(cache=True, nogil=True)
def exit_hazards_and_bound(h_arrest, h_death, exit_rate, unpaid_exit_multiplier, stress,
                           h_exit):
    """Fill ``h_exit[o] = exit_rate * (1 + unpaid_exit_multiplier * stress[o])`` and return
    ``(h_arrest + h_death).max() + h_exit.max()``, the largest hazard a member can have
    (NaN if any hazard is NaN, as numpy's max)."""
    O, R, K = h_arrest.shape
    top_exit = 0.0
    for o in range(O):
        h = exit_rate * (1.0 + unpaid_exit_multiplier * stress[o])
        h_exit[o] = h
        if o == 0 or h > top_exit or h != h:
            top_exit = h  # a NaN stays: nothing compares greater
    top = 0.0
    for o in range(O):
        for r in range(R):
            for k in range(K):
                h = h_arrest[o, r, k] + h_death[o, r, k]
                if (o == 0 and r == 0 and k == 0) or h > top or h != h:
                    top = h
                    if h != h:
                        return top + top_exit
    return top + top_exit
