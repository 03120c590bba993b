"""Finance (step 6 of the week, ODD 7.6).

Revenue, purchases, transport, wages, bribes (paid pro rata when cash runs short); payouts
from wealth; laundering against AML; shipment targets follow the gap between the import price
and the chain's supply price.
"""

from __future__ import annotations

import numpy as np

from ..enums import Role
from ..state import role_vector
from .shipping import shipping_capacity

# Kept between weeks (on the organizations): cash, laundered and frozen assets, stress (could
# not pay), shipment targets. This week's results: wages_o, defaulted, aml_seized,
# criminal_costs, criminal_payouts, criminal_income.
KEEPS = ("orgs.cash", "orgs.laundered", "orgs.frozen", "orgs.stress")


def init(s) -> None:
    """Organizations start solvent: their income average starts at their wage bill."""
    s.orgs.revenue[:] = s.counts.sum(axis=1) @ role_vector(s.pars.finance, "wage_")


def step(s) -> None:
    """Income in; costs paid out of cash, pro rata when cash and savings run short (the
    unpaid rest is a default, never a debt: cash does not go below zero); payouts from the
    wealth above the reserve; laundering of the cash above it (ODD 7.6)."""
    f, o = s.pars.finance, s.orgs
    if not hasattr(s, "_wage"):
        s._wage = role_vector(f, "wage_")
    by_role = s.counts.sum(axis=1)
    s.wages_o = wages = by_role @ s._wage
    returns = o.laundered * f.laundered_return * o.active
    overhead = f.overhead_share * np.maximum(s.income_o, 0.0)
    costs = (s.purchase_oc.sum(axis=1) + s.transport_oc.sum(axis=1) + wages
             + s.bribes_o + overhead)
    o.cash += s.income_o + returns
    # short of cash for this week's costs and the reserve: bring laundered assets back
    # (no fee: the organization's own money)
    reserve = f.reserve_weeks * wages
    shortfall = np.maximum(costs + reserve - o.cash, 0.0) * o.active
    drawn = np.minimum(shortfall, o.laundered)
    o.cash += drawn
    o.laundered -= drawn
    # pay what cash allows; members, officials and suppliers share the shortfall pro rata
    paid = np.minimum(costs, np.maximum(o.cash, 0.0))
    o.cash -= paid
    s.defaulted = float((costs - paid).sum())
    o.stress[:] = (paid < costs) & o.active
    # payouts: leaders' and members' takings beyond wages, fronts' losses, money lost
    excess = np.maximum(o.cash - reserve, 0.0)
    pay_cash = f.payout_rate * excess
    pay_laundered = f.payout_rate * o.laundered * o.active
    o.cash -= pay_cash
    o.laundered -= pay_laundered
    payouts = pay_cash + pay_laundered
    # laundering: cash above a reserve, limited by launderers, against AML detection
    excess = np.maximum(o.cash - reserve, 0.0)
    capacity = by_role[:, Role.LAUNDERER] * f.launder_capacity * s.launder_access
    placed = np.minimum(f.launder_share * excess, capacity)
    fee = placed * np.minimum(f.launder_fee + s.launder_fee_add, 1.0)
    home = o.home
    aml = np.minimum(f.aml_detection * s.state_capacity[home] * s.aml_multiplier[home], 1.0)
    detected = (placed - fee) * aml
    o.cash -= placed
    o.laundered += placed - fee - detected
    s.aml_seized = float(detected.sum())
    s.criminal_costs = float(paid.sum() + fee.sum())
    s.criminal_payouts = float(payouts.sum())
    s.criminal_income = float(s.income_o.sum() + returns.sum())
    s.ledger.income += s.criminal_income
    s.ledger.outflow += s.criminal_costs + s.criminal_payouts
    s.ledger.seized += s.aml_seized
    adjust_shipments(s)


def adjust_shipments(s) -> None:
    """Shipments follow the gap between the import price and the chain's supply price:
    targets grow while the return on purchase and transport, valued at the import price,
    beats the importers' margin ``transport.hurdle_rate`` and shrink otherwise, within
    the logistics capacity."""
    t, o = s.pars.transport, s.orgs
    cost = s.purchase_oc + s.transport_oc
    with np.errstate(invalid="ignore", divide="ignore"):
        rate = np.where(cost > 0, (s.import_rev_oc - cost) / cost, 0.0)
    capacity = shipping_capacity(s, s.counts[:, :, Role.LOGISTICS].sum(axis=1))
    step = np.exp(t.supply_adjustment * np.clip(rate - t.hurdle_rate, -1.0, 1.0))
    target = np.where(cost > 0, o.ship_target * step, o.ship_target)
    o.ship_target[:] = np.clip(target, 0.05 * capacity, capacity)
