"""Sourcing, route choice and interdiction (steps 2-3 of the week, ODD 7.2-7.3).

Each active organization buys each commodity it trades at its origin, picks least
risk-adjusted-cost paths over the corridors (``sim.kernels.routing.ship_commodities``) and
splits its volume over markets; lots cross corridors and are seized; organizations learn the
risk of each corridor from their own losses.
"""

from __future__ import annotations

import numpy as np

from ..enums import Role
from ..kernels.draws import generator_pointers
from ..kernels.finance import shipping_capacity as ship_capacity
from ..kernels.routing import ship_commodities

# Kept between weeks (on the state): last week's corridor flows (congestion); the
# organizations' shipment targets and learned corridor risk (orgs.ship_target, orgs.risk_ev,
# orgs.risk_tr). This week's results, read by later steps: shipped, seized_cr, arrivals_ocr,
# transit_flow_cr, org_region_flow, edge_flow, purchase_oc, transport_oc, route_risk,
# sent_ocr, landed_ocr.
KEEPS = ("edge_flow_prev", "orgs.ship_target", "orgs.risk_ev", "orgs.risk_tr")


def init(s) -> None:
    """Start shipping at capacity."""
    logistics = s.counts[:, :, Role.LOGISTICS].sum(axis=1)
    s.orgs.ship_target[:] = shipping_capacity(s, logistics)


def shipping_capacity(s, logistics: np.ndarray) -> np.ndarray:
    """[org, commodity] the most each organization can ship a week with ``logistics``
    traffickers (split over its commodities by the world's capacity shares)."""
    w = s.world
    out = np.empty((logistics.shape[0], s.C))
    ship_capacity(logistics, s.pars.transport.capacity_per_trafficker, w.capacity_share,
                  w.transport_weight, s.orgs.trades, out)
    return out


def derive(s) -> None:
    """Tables from parameters (rebuilt when parameters change): transport cost per kg-km and
    the interdiction rate by mode (land, sea, air)."""
    t, i = s.pars.transport, s.pars.interdiction
    s.cost_per_km = np.array([t.cost_land, t.cost_sea, t.cost_air])
    s.mode_rate = i.effectiveness * np.array([i.rate_land, i.rate_sea, i.rate_air])


def step(s) -> None:
    w, o, t = s.world, s.orgs, s.pars.transport
    i = s.pars.interdiction
    ship_commodities(
        generator_pointers(s.streams["shipping"]),  # the stream, without its dispatch cost
        o.active, o.trades, o.origin, o.ship_target,
        o.risk_ev, o.risk_tr, t.risk_memory, t.risk_prior_events, t.risk_prior_trials,
        s.adj_start, s.adj_edge, w.edge_from, w.edge_to, w.edge_mode, w.edge_dist,
        w.edge_capacity, s.edge_flow_prev, s.edge_extra_hazard, s.cost_per_km,
        s.mode_rate, w.transport_weight, w.seizure_factor, w.lot_size, w.origin_price,
        s.demand_ref, s.expected_import, s.value_at_risk, t.risk_aversion,
        t.congestion_cost, s.enforcement_capacity, s.intel_or, i.intel_gain,
        s.protect_seize,
        s.shipped, s.seized_cr, s.arrivals_ocr, s.transit_flow_cr,
        s.org_region_flow, s.edge_flow, s.purchase_oc, s.transport_oc,
        s.route_risk, s.sent_ocr, s.landed_ocr,
    )
    s.edge_flow_prev[:] = s.edge_flow
