"""Finance kernel: organizations' income, costs, payouts and laundering (ODD 7.6)."""

import numpy as np
from numba import njit

from .sums import np_clip, np_clip_arrays, np_minimum, pairwise_sum

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
        costs = pairwise_sum(purchase_oc[o]) + pairwise_sum(transport_oc[o]) \
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


@njit(cache=True, nogil=True, error_model="numpy")
def finance_week(
    income_o, wages_o, purchase_oc, transport_oc, bribes_o, org_active, by_role, launderer,
    launder_access, launder_fee_add, aml_detection, state_capacity, aml_multiplier, home,
    laundered_return, overhead_share, reserve_weeks, payout_rate, launder_capacity,
    launder_share, launder_fee, cash, laundered, stress, totals, import_rev_oc, hurdle_rate,
    supply_adjustment, pressure,
):
    """The week's accounts (``settle_accounts``) with the AML detection in each
    organization's home region, ``minimum(aml_detection * state_capacity * aml_multiplier,
    1)``, and the launderers from ``by_role[:, launderer]``; then the pressure on each
    shipment target, ``pressure[o, c] = supply_adjustment * clip(rate - hurdle_rate, -1,
    1)`` with the return ``rate = (import_rev - cost) / cost`` on this week's purchase and
    transport cost (0 without cost). The target grows by ``exp(pressure)``
    (``adjust_ship_targets``; numpy's exp)."""
    O = cash.shape[0]
    aml = np.empty(O)
    launderers = np.empty(O, by_role.dtype)
    for o in range(O):
        h = home[o]
        aml[o] = np_minimum(aml_detection * state_capacity[h] * aml_multiplier[h], 1.0)
        launderers[o] = by_role[o, launderer]
    settle_accounts(
        income_o, wages_o, purchase_oc, transport_oc, bribes_o, org_active, launderers,
        launder_access, launder_fee_add, aml, laundered_return, overhead_share,
        reserve_weeks, payout_rate, launder_capacity, launder_share, launder_fee, cash,
        laundered, stress, totals,
    )
    C = purchase_oc.shape[1]
    for o in range(O):
        for c in range(C):
            cost = purchase_oc[o, c] + transport_oc[o, c]
            rate = (import_rev_oc[o, c] - cost) / cost if cost > 0 else 0.0
            pressure[o, c] = supply_adjustment * np_clip(rate - hurdle_rate, -1.0, 1.0)


@njit(cache=True, nogil=True, error_model="numpy")
def shipping_capacity(logistics_o, capacity_per_trafficker, capacity_share, transport_weight,
                      trades, out):
    """``out[o, c]``: the most organization o can ship of commodity c a week with
    ``logistics_o[o]`` traffickers, split over the commodities it trades by the world's
    capacity shares: ``logistics * capacity_per_trafficker * capacity_share /
    maximum(transport_weight, 1e-12) * trades``."""
    O, C = out.shape
    for o in range(O):
        cap = logistics_o[o] * capacity_per_trafficker
        for c in range(C):
            out[o, c] = cap * capacity_share[c] / _np_maximum(transport_weight[c], 1e-12) \
                * (1.0 if trades[o, c] else 0.0)


@njit(cache=True, nogil=True, error_model="numpy")
def adjust_ship_targets(growth, purchase_oc, transport_oc, by_role, logistics,
                        capacity_per_trafficker, capacity_share, transport_weight, trades,
                        ship_target):
    """Shipment targets with this week's cost grow by ``growth`` (``exp(pressure)``), then
    stay within 5% of the logistics capacity and the capacity
    (``shipping_capacity`` of ``by_role[:, logistics]``); numpy's clip with array bounds."""
    O, C = ship_target.shape
    capacity = np.empty((O, C))
    logistics_o = np.empty(O, by_role.dtype)
    for o in range(O):
        logistics_o[o] = by_role[o, logistics]
    shipping_capacity(logistics_o, capacity_per_trafficker, capacity_share, transport_weight,
                      trades, capacity)
    for o in range(O):
        for c in range(C):
            cost = purchase_oc[o, c] + transport_oc[o, c]
            target = ship_target[o, c] * growth[o, c] if cost > 0 else ship_target[o, c]
            ship_target[o, c] = np_clip_arrays(target, 0.05 * capacity[o, c], capacity[o, c])
