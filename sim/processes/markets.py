"""Markets (step 4 of the week, ODD 7.4).

Retail prices clear supply against demand (``sim.kernels.markets.clear_markets``); wholesale
and import prices are what retail leaves after the value added downstream (dealers' risk and
margins); the chain's supply price at the border is updated from landed costs; consumer
spending reaches dealers' organizations and the delivering traffickers; firearms add to
regional gun stocks.
"""

from __future__ import annotations

import numpy as np

from ..enums import Role
from ..kernels.markets import markets_week, prices_and_sales, stage_prices

# Kept between weeks (on the state): market stocks, the stage prices, the chain's supply
# price at the border, the expected import price (traffickers' moving average) and the value
# at risk per commodity, regional gun stocks. This week's results: sold, income_o,
# revenue_oc, import_rev_oc, consumer_spend, chain_retail.
KEEPS = ("stock", "retail_price", "wholesale_price", "import_price", "chain_import",
         "expected_import", "value_at_risk", "guns")


def init(s) -> None:
    """Wholesale and import prices from the retail reference (no dealer risk yet). The
    weekly step computes the same stage prices (``update_stage_prices``) in its second
    kernel call (``prices_and_sales``)."""
    update_stage_prices(s, np.zeros(s.R))


def step(s) -> None:
    w, m = s.world, s.pars.market
    C, R = s.C, s.R
    arrivals_cr, dealers_r, h_r = np.empty((C, R)), np.empty(R), np.empty(R)
    goods = np.empty((3, C))  # seized, sold and change in stock by commodity, for the ledger
    # clearing; the dealers' weekly arrest hazard by region (last week's hazards)
    s.ledger.goods_error = markets_week(
        s.counts, int(Role.DEALER), s.arrivals_ocr, s.stock, s.demand_ref, w.price_ref,
        w.elasticity, m.elasticity_multiplier, m.sell_fraction, w.retail_by_dealers,
        m.dealer_capacity, m.price_floor, m.price_cap, s.retail_price, s.sold, s.seized_cr,
        s.h_arrest, s.shipped, arrivals_cr, dealers_r, goods, h_r,
    )  # returns the goods identity's largest relative error, for the conservation check
    # dealers' annual arrest probability by region, from the hazard as a rate (numpy's expm1)
    dealer_annual_arrest_r = -np.expm1(-52.0 * h_r)
    # stage prices (update_stage_prices), then revenue: consumer spending reaches dealers'
    # organizations (retail chain) or the delivering traffickers (direct sale); dealers pay
    # traffickers the wholesale price.
    O = s.orgs.capacity
    s.income_o = np.empty(O)
    s.revenue_oc = np.empty((O, C))
    s.import_rev_oc = np.empty((O, C))  # the same sales at the import price
    s.consumer_spend = prices_and_sales(
        *_stage_price_args(s, dealer_annual_arrest_r),
        s.counts, int(Role.DEALER), s.arrivals_ocr, arrivals_cr, dealers_r, s.sold,
        w.is_firearm, s.guns, s.pars.conflict.firearm_decay, s.income_o, s.revenue_oc,
        s.import_rev_oc,
    )


def update_stage_prices(s, dealer_annual_arrest_r: np.ndarray) -> None:
    """Stage prices (ODD 7.4). Downstream of the border the value added at each stage is
    an additive amount (in units of the market's reference retail price): dealers' margin
    plus their risk premium at retail, domestic distribution at wholesale. The wholesale
    and import prices are what this week's clearing retail price leaves after them (so a
    stock-out raises every stage by the same amount). The chain's supply price at the
    border, ``chain_import``, is the landed cost (purchase and transport, grossed up for
    the perceived seizure risk of the route) plus the importers' margin
    ``transport.hurdle_rate``: shipments grow while the import price beats it and shrink
    otherwise (``finance.adjust_shipments``), so in the steady state retail rests on the chain."""
    # prices stay positive and ordered: a glut squeezes margins to price_floor, not below
    stage_prices(*_stage_price_args(s, dealer_annual_arrest_r))


def _stage_price_args(s, dealer_annual_arrest_r: np.ndarray) -> tuple:
    """The arguments of ``stage_prices`` (also the first ones of ``prices_and_sales``), with
    this week's buffers: the chain's retail price, and the expected import price on the
    first call (a state saved before it existed included)."""
    w, m, t = s.world, s.pars.market, s.pars.transport
    first = not hasattr(s, "expected_import")
    if first:  # traffickers choose destinations on the import price they expect
        s.expected_import = np.empty_like(s.import_price)
    s.chain_retail = np.empty_like(s.chain_import)  # the chain's retail price
    return (w.retail_by_dealers, w.price_ref, dealer_annual_arrest_r, m.retail_value_added,
            m.dealer_risk_premium, m.wholesale_value_added, s.sent_ocr, s.landed_ocr,
            t.hurdle_rate, m.price_floor, t.price_memory, s.demand_ref, first,
            s.retail_price, s.chain_import, s.chain_retail, s.wholesale_price, s.import_price,
            s.expected_import, s.value_at_risk)
