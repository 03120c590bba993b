"""Finance (step 6 of the week, ODD 7.6).

Revenue, purchases, transport, wages, bribes (paid pro rata when cash runs short); payouts
from wealth; laundering against AML; shipment targets follow the gap between the import price
and the chain's supply price.
"""

from __future__ import annotations

import numpy as np

from ..enums import Role
from ..kernels import finance as fk
from ..kernels.finance import settle_accounts
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
    home = o.home
    aml = np.minimum(f.aml_detection * s.state_capacity[home] * s.aml_multiplier[home], 1.0)
    totals = np.empty(5)
    settle_accounts(
        s.income_o, wages, s.purchase_oc, s.transport_oc, s.bribes_o, o.active,
        by_role[:, Role.LAUNDERER], s.launder_access, s.launder_fee_add, aml,
        f.laundered_return, f.overhead_share, f.reserve_weeks, f.payout_rate,
        f.launder_capacity, f.launder_share, f.launder_fee, o.cash, o.laundered, o.stress,
        totals,
    )
    s.defaulted = float(totals[fk.DEFAULTED])
    s.aml_seized = float(totals[fk.AML_SEIZED])
    s.criminal_costs = float(totals[fk.COSTS])
    s.criminal_payouts = float(totals[fk.PAYOUTS])
    s.criminal_income = float(totals[fk.INCOME])
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
