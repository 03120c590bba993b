"""Finance (step 6 of the week, ODD 7.6).

Revenue, purchases, transport, wages, bribes (paid pro rata when cash runs short); payouts
from wealth; laundering against AML; shipment targets follow the gap between the import price
and the chain's supply price.
"""

from __future__ import annotations

import numpy as np

from ..enums import N_ROLES, Role
from ..kernels import finance as fk
from ..kernels.counts import members_by_org_role
from ..kernels.finance import adjust_ship_targets, finance_week
from ..state import role_vector

# Kept between weeks (on the organizations): cash, laundered and frozen assets, stress (could
# not pay), shipment targets. This week's results: wages_o, defaulted, aml_seized,
# criminal_costs, criminal_payouts, criminal_income.
KEEPS = ("orgs.cash", "orgs.laundered", "orgs.frozen", "orgs.stress")


def init(s) -> None:
    """Organizations start solvent: their income average starts at their wage bill."""
    s.orgs.revenue[:] = s.counts.sum(axis=1) @ role_vector(s.pars.finance, "wage_")


def derive(s) -> None:
    """Tables from parameters (rebuilt when parameters change): the weekly wage by role."""
    s.wage_by_role = role_vector(s.pars.finance, "wage_")


def step(s) -> None:
    """Income in; costs paid out of cash, pro rata when cash and savings run short (the
    unpaid rest is a default, never a debt: cash does not go below zero); payouts from the
    wealth above the reserve; laundering of the cash above it (ODD 7.6)."""
    f, o, t = s.pars.finance, s.orgs, s.pars.transport
    by_role = np.empty((o.capacity, N_ROLES), np.int64)
    members_by_org_role(s.counts, by_role)
    s.wages_o = wages = by_role @ s.wage_by_role  # BLAS order: stays in numpy
    totals = np.empty(5)
    pressure = np.empty(o.ship_target.shape)
    finance_week(
        s.income_o, wages, s.purchase_oc, s.transport_oc, s.bribes_o, o.active, by_role,
        int(Role.LAUNDERER), s.launder_access, s.launder_fee_add, f.aml_detection,
        s.state_capacity, s.aml_multiplier, o.home, f.laundered_return, f.overhead_share,
        f.reserve_weeks, f.payout_rate, f.launder_capacity, f.launder_share, f.launder_fee,
        o.cash, o.laundered, o.stress, totals, s.import_rev_oc, t.hurdle_rate,
        t.supply_adjustment, pressure,
    )
    v = totals.tolist()  # Python floats
    s.defaulted = v[fk.DEFAULTED]
    s.aml_seized = v[fk.AML_SEIZED]
    s.criminal_costs = v[fk.COSTS]
    s.criminal_payouts = v[fk.PAYOUTS]
    s.criminal_income = v[fk.INCOME]
    s.ledger.income += s.criminal_income
    s.ledger.outflow += s.criminal_costs + s.criminal_payouts
    s.ledger.seized += s.aml_seized
    adjust_shipments(s, np.exp(pressure), by_role)  # numpy's exp


def adjust_shipments(s, growth, by_role) -> None:
    """Shipments follow the gap between the import price and the chain's supply price:
    targets grow while the return on purchase and transport, valued at the import price,
    beats the importers' margin ``transport.hurdle_rate`` and shrink otherwise, within
    the logistics capacity (``growth`` is ``exp`` of the pressure that ``finance_week``
    sets; ``by_role`` the members by organization and role)."""
    t, o, w = s.pars.transport, s.orgs, s.world
    adjust_ship_targets(
        growth, s.purchase_oc, s.transport_oc, by_role, int(Role.LOGISTICS),
        t.capacity_per_trafficker, w.capacity_share, w.transport_weight, o.trades,
        o.ship_target,
    )
