"""Finance kernel: organizations' income, costs, payouts and laundering (ODD 7.6)."""

import numpy as np
from numba import njit

from .sums import np_minimum, pairwise_sum

# indices into the totals filled by settle_accounts
DEFAULTED, AML_SEIZED, COSTS, PAYOUTS, INCOME = range(5)


@njit(cache=True, nogil=True)
def _np_maximum(a, b):
    return a if (a > b or a != a) else b


@njit(cache=True, nogil=True, error_model="numpy")
def settle_accounts(
    income_o, wages_o, purchase_oc, transport_oc, bribes_o, org_active, launderers_o,
    launder_access, launder_fee_add, aml_r_o, laundered_return, overhead_share,
    reserve_weeks, payout_rate, launder_capacity, launder_share, launder_fee,
    cash, laundered, stress, totals,
):
    """One week of money for every organization, in this order: income and the returns on
    laundered assets come in; this week's costs (purchases, transport, wages, bribes,
    overhead on positive income) are paid out of cash, drawing laundered assets back when
    cash falls short of costs plus a reserve of ``reserve_weeks`` of wages, pro rata when
    even that is not enough (the unpaid rest is a default; ``stress`` marks it); a share
    ``payout_rate`` of the cash above the reserve and of laundered assets is paid out; a
    share ``launder_share`` of the cash above the reserve is placed for laundering, up to
    the launderers' capacity, less the fee, and AML (``aml_r_o``, the detection in each
    organization's home region) seizes part of it. Updates ``cash``, ``laundered`` and
    ``stress``; ``totals`` = [defaulted, AML seized, costs, payouts, income]. The arithmetic
    is that of the numpy code it replaced, in its order (sums in numpy's order)."""
    O = cash.shape[0]
    unpaid = np.empty(O)
    paid_o = np.empty(O)
    fee_o = np.empty(O)
    payouts = np.empty(O)
    detected_o = np.empty(O)
    returns_o = np.empty(O)
    for o in range(O):
        active = 1.0 if org_active[o] else 0.0
        returns = laundered[o] * laundered_return * active
        overhead = overhead_share * _np_maximum(income_o[o], 0.0)
        costs = pairwise_sum(purchase_oc[o].copy()) + pairwise_sum(transport_oc[o].copy()) \
            + wages_o[o] + bribes_o[o] + overhead
        cash[o] += income_o[o] + returns
        reserve = reserve_weeks * wages_o[o]
        shortfall = _np_maximum(costs + reserve - cash[o], 0.0) * active
        drawn = np_minimum(shortfall, laundered[o])
        cash[o] += drawn
        laundered[o] -= drawn
        paid = np_minimum(costs, _np_maximum(cash[o], 0.0))
        cash[o] -= paid
        unpaid[o] = costs - paid
        stress[o] = 1.0 if (paid < costs and org_active[o]) else 0.0
        excess = _np_maximum(cash[o] - reserve, 0.0)
        pay_cash = payout_rate * excess
        pay_laundered = payout_rate * laundered[o] * active
        cash[o] -= pay_cash
        laundered[o] -= pay_laundered
        payouts[o] = pay_cash + pay_laundered
        excess = _np_maximum(cash[o] - reserve, 0.0)
        capacity = launderers_o[o] * launder_capacity * launder_access[o]
        placed = np_minimum(launder_share * excess, capacity)
        fee = placed * np_minimum(launder_fee + launder_fee_add[o], 1.0)
        detected = (placed - fee) * aml_r_o[o]
        cash[o] -= placed
        laundered[o] += placed - fee - detected
        paid_o[o] = paid
        fee_o[o] = fee
        detected_o[o] = detected
        returns_o[o] = returns
    totals[DEFAULTED] = pairwise_sum(unpaid)
    totals[AML_SEIZED] = pairwise_sum(detected_o)
    totals[COSTS] = pairwise_sum(paid_o) + pairwise_sum(fee_o)
    totals[PAYOUTS] = pairwise_sum(payouts)
    totals[INCOME] = pairwise_sum(income_o) + pairwise_sum(returns_o)
