"""Route choice and shipping: least risk-adjusted cost paths, interdiction along the path."""

import numpy as np
from numba import njit

from .draws import as_generator


@njit(cache=True, nogil=True)
def shortest_paths(n_nodes, adj_start, adj_edge, edge_to, weight, src, dist, pred_edge):
    """Dijkstra (dense, O(V^2): the region graph is small) from ``src``.

    Fills ``dist`` (inf where unreachable) and ``pred_edge`` (edge used to reach each node, -1).
    """
    shortest_paths_to(n_nodes, adj_start, adj_edge, edge_to, weight, src, dist, pred_edge,
                      np.zeros(n_nodes, np.bool_), np.zeros(n_nodes, np.bool_), n_nodes + 1)


@njit(cache=True, nogil=True)
def shortest_paths_to(n_nodes, adj_start, adj_edge, edge_to, weight, src, dist, pred_edge,
                      done, wanted, n_wanted):
    """``shortest_paths`` that stops once the ``n_wanted`` nodes flagged in ``wanted`` are
    settled (``done``: a work array of ``n_nodes`` flags). Their ``dist`` and the
    ``pred_edge`` chains back to ``src`` (settled nodes only) are those of the full search,
    as it settles nodes in the same order; other nodes' entries may be left tentative."""
    for i in range(n_nodes):
        dist[i] = np.inf
        pred_edge[i] = -1
        done[i] = False
    dist[src] = 0.0
    for _ in range(n_nodes):
        u = -1
        best = np.inf
        for i in range(n_nodes):
            if not done[i] and dist[i] < best:
                best = dist[i]
                u = i
        if u < 0:
            break
        done[u] = True
        if wanted[u]:
            n_wanted -= 1
            if n_wanted == 0:
                break
        for k in range(adj_start[u], adj_start[u + 1]):
            e = adj_edge[k]
            v = edge_to[e]
            nd = dist[u] + weight[e]
            if nd < dist[v]:
                dist[v] = nd
                pred_edge[v] = e


@njit(cache=True, nogil=True)
def path_edges(pred_edge, edge_from, src, dst, out):
    """Write the edges from ``src`` to ``dst`` into ``out`` in travel order; return the count,
    or -1 when ``dst`` is unreachable or the predecessors do not lead back to ``src`` within
    ``out.shape[0]`` edges (a cycle: never writes past ``out``)."""
    n = 0
    v = dst
    while v != src:
        e = pred_edge[v]
        if e < 0 or n >= out.shape[0]:
            return -1
        out[n] = e
        n += 1
        v = edge_from[e]
    for i in range(n // 2):
        t = out[i]
        out[i] = out[n - 1 - i]
        out[n - 1 - i] = t
    return n


@njit(cache=True, nogil=True)
def ship_commodities(
    rng,
    org_active, org_trades, org_origin, ship_target,
    risk_ev, risk_tr, risk_memory, prior_events, prior_trials,
    adj_start, adj_edge, edge_from, edge_to, edge_mode, edge_dist, edge_capacity,
    edge_flow_prev, edge_extra_hazard, cost_per_km, mode_rate,
    transport_weight, seizure_factor, lot_size, origin_price, demand_ref, import_price,
    value_at_risk, risk_aversion, congestion_cost,
    enforcement_capacity, intel_or, intel_gain, protect_seize,
    # outputs (zeroed here)
    shipped, seized_cr, arrivals_ocr, transit_flow_cr, org_region_flow, edge_flow,
    purchase_cost_oc, transport_cost_oc, route_risk_ocr, sent_ocr, landed_ocr,
):
    """Weekly shipping for every active organization and commodity it trades.

    For each (org, commodity): edge weights = transport cost + risk_aversion * perceived risk *
    value at risk + congestion; least-cost paths from the org's origin; volume ``ship_target``
    split over destinations by expected margin (import price times perceived survival, less
    purchase and transport) times market size; lots cross each corridor and
    are seized with probability 1 - exp(-hazard), hazard rising with enforcement capacity,
    intelligence on the org and interventions, and cut by corrupt protection. Perceived risk is
    learned from the org's own seizures (discounted counts, M19). ``sent_ocr`` is the volume
    sent to each destination and ``landed_ocr`` its expected landed unit cost: purchase plus
    transport per unit, divided by the perceived survival of the path (the compensation for
    expected seizure losses, RK86).
    """
    gen = as_generator(rng)  # a Generator, or generator_pointers(Generator): the same draws
    O = org_active.shape[0]
    C = transport_weight.shape[0]
    R = enforcement_capacity.shape[0]
    E = edge_from.shape[0]
    shipped[:] = 0.0
    seized_cr[:] = 0.0
    arrivals_ocr[:] = 0.0
    transit_flow_cr[:] = 0.0
    org_region_flow[:] = 0.0
    edge_flow[:] = 0.0
    purchase_cost_oc[:] = 0.0
    transport_cost_oc[:] = 0.0
    route_risk_ocr[:] = 0.0
    sent_ocr[:] = 0.0
    landed_ocr[:] = 0.0
    weight = np.empty(E)
    risk = np.empty(E)
    dist = np.empty(R)
    pred = np.empty(R, np.int32)
    done = np.empty(R, np.bool_)
    paths = np.empty((R, R), np.int32)  # each destination's path, from the first pass
    n_path = np.empty(R, np.int64)
    alloc = np.empty(R)
    # the markets of each commodity: Dijkstra stops once they are all settled
    wanted = np.empty((C, R), np.bool_)
    n_wanted = np.zeros(C, np.int64)
    for c in range(C):
        for d in range(R):
            wanted[c, d] = not demand_ref[c, d] <= 0.0
            n_wanted[c] += wanted[c, d]
    # per commodity and corridor, the same for every organization this week: transport cost
    # of a unit and the congestion cost of last week's flow
    unit_cost = np.empty((C, E))
    congestion = np.empty((C, E))
    for c in range(C):
        tw = transport_weight[c]
        for e in range(E):
            unit_cost[c, e] = tw * cost_per_km[edge_mode[e]] * edge_dist[e]
            over = edge_flow_prev[e] / edge_capacity[e] - 1.0
            congestion[c, e] = congestion_cost * over * value_at_risk[c] if over > 0.0 else 0.0
    for o in range(O):
        if not org_active[o]:
            continue
        ships = False
        for c in range(C):
            ships |= org_trades[o, c] and ship_target[o, c] > 0.0 and org_origin[o, c] >= 0
        for e in range(E):
            risk_ev[o, e] *= risk_memory
            risk_tr[o, e] *= risk_memory
        if not ships:  # the perceived risk is needed only to ship
            continue
        for e in range(E):
            # a perceived seizure probability: at most 1 (a prior with more events than
            # trials would give more)
            risk[e] = min((risk_ev[o, e] + prior_events) / (risk_tr[o, e] + prior_trials), 1.0)
        for c in range(C):
            if not org_trades[o, c] or ship_target[o, c] <= 0.0:
                continue
            src = org_origin[o, c]
            if src < 0:
                continue
            tw = transport_weight[c]
            for e in range(E):
                w_e = (
                    unit_cost[c, e]
                    + risk_aversion * risk[e] * value_at_risk[c]
                    + congestion[c, e]
                )
                # Dijkstra needs non-negative weights (a negative price upstream must not
                # turn routes into cycles; NaN counts as 0)
                weight[e] = w_e if w_e > 0.0 else 0.0
            shortest_paths_to(R, adj_start, adj_edge, edge_to, weight, src, dist, pred, done,
                              wanted[c], n_wanted[c])
            total_w = 0.0
            for d in range(R):
                alloc[d] = 0.0
                if not wanted[c, d] or d == src or dist[d] == np.inf:
                    continue
                path = paths[d]
                n = path_edges(pred, edge_from, src, d, path)
                n_path[d] = n
                if n < 0:
                    continue
                survive = 1.0
                tcost = 0.0
                for k in range(n):
                    e = path[k]
                    survive *= 1.0 - risk[e]
                    tcost += unit_cost[c, e]
                route_risk_ocr[o, c, d] = 1.0 - survive
                if survive > 0.0:
                    landed_ocr[o, c, d] = (origin_price[c, src] + tcost) / survive
                margin = import_price[c, d] * survive - origin_price[c, src] - tcost
                if margin > 0.0:
                    alloc[d] = margin * demand_ref[c, d]
                    total_w += alloc[d]
            if total_w <= 0.0:
                continue
            volume = ship_target[o, c]
            for d in range(R):
                if alloc[d] <= 0.0:  # alloc[d] > 0 only for reachable d: n_path[d] >= 0
                    continue
                path = paths[d]
                n = n_path[d]
                vol = volume * alloc[d] / total_w
                n_lots = int(vol / lot_size[c] + 0.5)
                if n_lots < 1:
                    n_lots = 1
                mass = vol / n_lots
                shipped[c] += vol
                sent_ocr[o, c, d] += vol
                purchase_cost_oc[o, c] += vol * origin_price[c, src]
                org_region_flow[o, src] += vol * tw
                alive = n_lots
                for k in range(n):
                    e = path[k]
                    r = edge_to[e]
                    carried = alive * mass
                    transport_cost_oc[o, c] += (carried * tw * cost_per_km[edge_mode[e]]
                                                * edge_dist[e])
                    edge_flow[e] += carried * tw
                    org_region_flow[o, r] += carried * tw
                    hazard = (
                        mode_rate[edge_mode[e]] * seizure_factor[c] * enforcement_capacity[r]
                        * (1.0 + intel_gain * intel_or[o, r]) + edge_extra_hazard[e]
                    ) * (1.0 - protect_seize[o, r])
                    p = 1.0 - np.exp(-hazard)
                    lost = gen.binomial(alive, p) if p > 0.0 else 0
                    risk_ev[o, e] += lost
                    risk_tr[o, e] += alive
                    seized_cr[c, r] += lost * mass
                    alive -= lost
                    if r != d:
                        transit_flow_cr[c, r] += alive * mass
                    if alive == 0:
                        break
                arrivals_ocr[o, c, d] += alive * mass
