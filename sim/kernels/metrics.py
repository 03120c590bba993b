"""The week's market and wealth metrics: the sums behind a row of ``TocModel.metrics``.

Sums are in numpy's order (``sim.kernels.sums``), so the figures equal, bit for bit, those
of the numpy expressions they replaced (``error_model="numpy"``: a division by zero gives
inf or NaN as in numpy, never an exception).
"""

import numpy as np
from numba import njit

from .counts import members_by_org_region
from .sums import pairwise_sum, sum_leading_axis

# indices into the scalar output of weekly_market_metrics (the first 12) and weekly_metrics
RETAIL, WHOLESALE, IMPORT, EXPORT, CONSUMPTION, SEIZURES, HHI, ROUTE_NODES, SOURCE_MEAN, \
    WEALTH, LAUNDERED, FROZEN, ACTIVE_CARTELS, ACTIVE_GANGS, HOMICIDES, CORRUPTION_RATE, \
    AGENCY_BUDGET, MEMBERS_KILLED, BYSTANDERS_KILLED = range(19)
N_SCALARS = 19


@njit(cache=True, nogil=True, error_model="numpy")
def _market_price(price, sold, demand):
    """Consumption-weighted mean price over the markets with demand (weights: this week's
    sales, or the reference demand when nothing sold)."""
    n = 0
    for r in range(demand.shape[0]):
        if demand[r] > 0:
            n += 1
    w = np.empty(n)
    p = np.empty(n)
    k = 0
    for r in range(demand.shape[0]):
        if demand[r] > 0:
            w[k] = sold[r]
            p[k] = price[r]
            k += 1
    if not pairwise_sum(w) > 0:
        k = 0
        for r in range(demand.shape[0]):
            if demand[r] > 0:
                w[k] = demand[r]
                k += 1
    for k in range(n):
        p[k] = p[k] * w[k]
    return pairwise_sum(p) / pairwise_sum(w)


@njit(cache=True, nogil=True, error_model="numpy")
def _positive_mean(x):
    n = 0
    for v in x:
        if v > 0:
            n += 1
    pos = np.empty(n)
    k = 0
    for v in x:
        if v > 0:
            pos[k] = v
            k += 1
    return pairwise_sum(pos) / n


@njit(cache=True, nogil=True, error_model="numpy")
def weekly_market_metrics(
    sold, demand_ref, retail_price, wholesale_price, import_price, purchase_oc, shipped,
    origin_price, arrivals_ocr, transit_flow_cr, seized_cr, transit_r, org_active, cash,
    laundered, frozen, out, by_commodity, arrivals_r,
):
    """Fill ``out`` (see the indices above) for the first commodity (the drug market):
    consumption-weighted retail, wholesale and import prices; the export price (purchases
    per unit shipped, else the mean origin price); consumption; seizures; the suppliers'
    Herfindahl index; transit regions on this week's routes; the mean origin price; the
    active organizations' wealth and laundered assets; frozen assets. ``by_commodity[c]`` =
    (shipped, seized, sold, weighted retail price) for every commodity and ``arrivals_r``
    the first commodity's arrivals by region."""
    O, C, R = arrivals_ocr.shape
    out[RETAIL] = _market_price(retail_price[0], sold[0], demand_ref[0])
    out[WHOLESALE] = _market_price(wholesale_price[0], sold[0], demand_ref[0])
    out[IMPORT] = _market_price(import_price[0], sold[0], demand_ref[0])
    if shipped[0] > 0:
        out[EXPORT] = pairwise_sum(purchase_oc[:, 0].copy()) / shipped[0]
    else:
        out[EXPORT] = _positive_mean(origin_price[0])
    out[SOURCE_MEAN] = _positive_mean(origin_price[0])
    out[CONSUMPTION] = pairwise_sum(sold[0])
    out[SEIZURES] = pairwise_sum(seized_cr[0])
    deliveries = np.empty(O)
    for o in range(O):
        deliveries[o] = pairwise_sum(arrivals_ocr[o, 0])
    tot = pairwise_sum(deliveries)
    if tot > 0:
        for o in range(O):
            d = deliveries[o] / tot
            deliveries[o] = d * d
        out[HHI] = pairwise_sum(deliveries)
    else:
        out[HHI] = 0.0
    nodes = 0
    for r in range(R):
        if transit_flow_cr[0, r] > 0 and transit_r[r]:
            nodes += 1
    out[ROUTE_NODES] = nodes
    n_active = 0
    for o in range(org_active.shape[0]):
        if org_active[o]:
            n_active += 1
    wealth = np.empty(n_active)
    saved = np.empty(n_active)
    k = 0
    for o in range(org_active.shape[0]):
        if org_active[o]:
            wealth[k] = cash[o] + laundered[o]
            saved[k] = laundered[o]
            k += 1
    out[WEALTH] = pairwise_sum(wealth)
    out[LAUNDERED] = pairwise_sum(saved)
    out[FROZEN] = pairwise_sum(frozen)
    for c in range(C):
        by_commodity[c, 0] = shipped[c]
        by_commodity[c, 1] = pairwise_sum(seized_cr[c])
        by_commodity[c, 2] = pairwise_sum(sold[c])
        by_commodity[c, 3] = _market_price(retail_price[c], sold[c], demand_ref[c])
    sum_leading_axis(arrivals_ocr[:, 0, :], arrivals_r)


@njit(cache=True, nogil=True, error_model="numpy")
def _scaled_by_top(x, org_active, out):
    """``where(active, x, 0) / its maximum`` (unchanged when the maximum is not positive)."""
    O = x.shape[0]
    top = 0.0
    for o in range(O):
        out[o] = x[o] if org_active[o] else 0.0
        if o == 0:
            top = out[0]
        elif not (top > out[o] or top != top):  # np.maximum: NaN propagates
            top = out[o]
    if top > 0:
        for o in range(O):
            out[o] = out[o] / top


@njit(cache=True, nogil=True, error_model="numpy")
def update_threat(
    kills_by_o, income_o, revenue_oc, corrupt_otr, members_or, org_active, keep, ema,
    w_violence, w_revenue, w_corruption, w_reach, w_arms_people, kills, revenue, arms_people,
    threat,
):
    """Threat scores (ODD 7.12): moving averages (weight ``ema`` on this week, ``keep`` on
    the past) of kills, revenue, and revenue from commodities other than the first
    (firearms, persons); then the weighted sum of violence, revenue, corruption reach
    (officials on the payroll), transnational reach (share of regions holding at least 1%
    of its members) and firearms/persons revenue, each scaled by its maximum over active
    organizations. The arithmetic is that of the numpy code it replaced, in its order."""
    O, C = revenue_oc.shape
    R = members_or.shape[1]
    corrupt = np.empty(O)
    reach = np.empty(O)
    row = np.empty(C - 1) if C > 1 else np.empty(0)
    for o in range(O):
        kills[o] = keep * kills[o] + ema * kills_by_o[o]
        revenue[o] = keep * revenue[o] + ema * income_o[o]
        if C > 1:
            for c in range(1, C):
                row[c - 1] = revenue_oc[o, c]
            arms_people[o] = keep * arms_people[o] + ema * pairwise_sum(row)
        else:
            arms_people[o] = keep * arms_people[o] + ema * 0.0
        n = 0
        for t in range(corrupt_otr.shape[1]):
            for r in range(corrupt_otr.shape[2]):
                n += corrupt_otr[o, t, r]
        corrupt[o] = n
        m_o = 0.0
        for r in range(R):
            m_o += members_or[o, r]
        k = 0
        for r in range(R):
            if members_or[o, r] > 0.01 * m_o:
                k += 1
        reach[o] = k / R
    s_kills = np.empty(O)
    s_revenue = np.empty(O)
    s_corrupt = np.empty(O)
    s_reach = np.empty(O)
    s_arms = np.empty(O)
    _scaled_by_top(kills, org_active, s_kills)
    _scaled_by_top(revenue, org_active, s_revenue)
    _scaled_by_top(corrupt, org_active, s_corrupt)
    _scaled_by_top(reach, org_active, s_reach)
    _scaled_by_top(arms_people, org_active, s_arms)
    for o in range(O):
        threat[o] = (w_violence * s_kills[o] + w_revenue * s_revenue[o]
                     + w_corruption * s_corrupt[o] + w_reach * s_reach[o]
                     + w_arms_people * s_arms[o]) * (1.0 if org_active[o] else 0.0)


@njit(cache=True, nogil=True, error_model="numpy")
def tally_organizations(counts, org_active, cash, laundered, members_or):
    """Fill ``members_or`` (float64) from the kept counts and dissolve every active
    organization without members: its cash and laundered assets are abandoned (set to 0)
    and it becomes inactive. Returns (organizations dissolved, assets abandoned), the
    assets as numpy sums them: ``cash[gone].sum() + laundered[gone].sum()``."""
    members_by_org_region(counts, members_or)
    O, R = members_or.shape
    gone = np.zeros(O, np.bool_)
    n_gone = 0
    for o in range(O):
        m_o = 0.0
        for r in range(R):
            m_o += members_or[o, r]
        if org_active[o] and m_o == 0:
            gone[o] = True
            n_gone += 1
    if n_gone == 0:
        return 0, 0.0
    held_cash = np.empty(n_gone)
    held_laundered = np.empty(n_gone)
    k = 0
    for o in range(O):
        if gone[o]:
            held_cash[k] = cash[o]
            held_laundered[k] = laundered[o]
            k += 1
            cash[o] = 0.0
            laundered[o] = 0.0
            org_active[o] = False
    return n_gone, pairwise_sum(held_cash) + pairwise_sum(held_laundered)


@njit(cache=True, nogil=True, error_model="numpy")
def weekly_metrics(
    sold, demand_ref, retail_price, wholesale_price, import_price, purchase_oc, shipped,
    origin_price, arrivals_ocr, transit_flow_cr, seized_cr, region_roles, transit_role,
    org_active, cash, laundered, frozen, org_kind, cartel, gang, homicides_r, deaths_or,
    bystanders_r, patron, agency_budget, members_or, corrupt_share_r, guns, population, out,
    by_commodity, reg,
):
    """``weekly_market_metrics`` (``out[:12]``, ``by_commodity``) and the week's counts:
    active cartels and gangs, homicides, the share of officials on a payroll, the agencies'
    budgets, members and bystanders killed; and the regions' rows ``reg[r]`` = (drug
    flow: transit plus arrivals, drug seized, homicides, corrupt share, retail price where
    the drug has a market else NaN, members, guns per 1,000 residents). The arithmetic is
    that of the numpy expressions it replaced (sums in numpy's order). Transit regions
    are those whose ``region_roles`` have the bit ``transit_role``."""
    R = reg.shape[0]
    arrivals_r = np.empty(R)
    transit_r = np.empty(R, np.bool_)
    for r in range(R):
        transit_r[r] = (region_roles[r] & transit_role) != 0
    weekly_market_metrics(
        sold, demand_ref, retail_price, wholesale_price, import_price, purchase_oc, shipped,
        origin_price, arrivals_ocr, transit_flow_cr, seized_cr, transit_r, org_active, cash,
        laundered, frozen, out, by_commodity, arrivals_r,
    )
    cartels = 0
    gangs = 0
    for o in range(org_active.shape[0]):
        if org_active[o]:
            if org_kind[o] == cartel:
                cartels += 1
            elif org_kind[o] == gang:
                gangs += 1
    out[ACTIVE_CARTELS] = cartels
    out[ACTIVE_GANGS] = gangs
    n = 0
    for r in range(R):
        n += homicides_r[r]
    out[HOMICIDES] = n
    n = 0
    for j in range(patron.shape[0]):
        if patron[j] >= 0:
            n += 1
    out[CORRUPTION_RATE] = n / patron.shape[0]
    out[AGENCY_BUDGET] = pairwise_sum(agency_budget)
    n = 0
    for o in range(deaths_or.shape[0]):
        for r in range(R):
            n += deaths_or[o, r]
    out[MEMBERS_KILLED] = n
    n = 0
    for r in range(R):
        n += bystanders_r[r]
    out[BYSTANDERS_KILLED] = n
    for r in range(R):
        reg[r, 0] = transit_flow_cr[0, r] + arrivals_r[r]
        reg[r, 1] = seized_cr[0, r]
        reg[r, 2] = homicides_r[r]
        reg[r, 3] = corrupt_share_r[r]
        reg[r, 4] = retail_price[0, r] if demand_ref[0, r] > 0 else np.nan
        total = 0.0
        for o in range(members_or.shape[0]):
            total += members_or[o, r]
        reg[r, 5] = total
        reg[r, 6] = guns[r] / population[r] * 1000.0


@njit(cache=True, nogil=True, error_model="numpy")
def metrics_row(
    out, by_commodity, source_share, shipped, criminal_income, criminal_members, recruits,
    member_events, case_arrests, intervention_arrests, incarcerated, intervention_cost,
    official_events, removals, splits, cases, criminal_costs, criminal_payouts, aml_seized,
    case_seized, row,
):
    """The week's row of ``TocModel.metrics`` (the columns of ``sim.metrics.METRICS``, then
    ``by_commodity``'s rows for every commodity but the first) from ``weekly_metrics``'s
    ``out`` and the week's counts and sums the processes left on the state: the same
    numbers, bit for bit, as the row ``bookkeeping`` built as a dict of Python numbers (the
    counts in ``out`` are whole numbers; the integer sums are taken as integers)."""
    retail = out[RETAIL]
    export_p = out[EXPORT]
    row[0] = retail
    row[1] = out[WHOLESALE]
    row[2] = out[IMPORT]
    row[3] = export_p
    row[4] = source_share * export_p
    row[5] = out[CONSUMPTION]
    row[6] = shipped[0]
    row[7] = out[SEIZURES]
    row[8] = criminal_income
    row[9] = out[WEALTH]
    row[10] = out[LAUNDERED]
    row[11] = out[FROZEN]
    row[12] = out[ACTIVE_CARTELS]
    row[13] = out[ACTIVE_GANGS]
    row[14] = criminal_members
    row[15] = recruits
    row[16] = member_events[0] + case_arrests + intervention_arrests
    row[17] = incarcerated
    row[18] = out[HOMICIDES]
    row[19] = out[CORRUPTION_RATE]
    row[20] = out[AGENCY_BUDGET] + intervention_cost
    row[21] = out[HHI]
    row[22] = out[ROUTE_NODES]
    row[23] = intervention_cost
    row[24] = out[SEIZURES] / shipped[0] if shipped[0] > 0 else 0.0
    row[25] = retail / out[SOURCE_MEAN]  # inf or NaN as numpy's division gives
    row[26] = out[MEMBERS_KILLED]
    row[27] = out[BYSTANDERS_KILLED]
    row[28] = official_events[2]
    row[29] = removals
    row[30] = splits
    row[31] = cases
    row[32] = criminal_costs
    row[33] = criminal_payouts
    row[34] = aml_seized
    row[35] = case_seized
    j = N_ROW_SCALARS
    for c in range(1, by_commodity.shape[0]):
        for k in range(by_commodity.shape[1]):
            row[j] = by_commodity[c, k]
            j += 1


N_ROW_SCALARS = 36  # the columns of sim.metrics.METRICS, in its order (metrics_row)


@njit(cache=True, nogil=True, error_model="numpy")
def bookkeeping_week(
    counts, org_active, cash, laundered, members_or,
    kills_by_o, income_o, revenue_oc, corrupt_otr, keep, ema, w_violence, w_revenue,
    w_corruption, w_reach, w_arms_people, kills, revenue, arms_people, threat,
    week, sold, demand_ref, retail_price, wholesale_price, import_price, purchase_oc, shipped,
    origin_price, arrivals_ocr, transit_flow_cr, seized_cr, region_roles, transit_role, frozen,
    org_kind, cartel, gang, homicides_r, deaths_or, bystanders_r, patron, agency_budget,
    corrupt_share_r, guns, population, source_share, criminal_income, criminal_members,
    recruits, member_events, case_arrests, intervention_arrests, incarcerated,
    intervention_cost, official_events, removals, splits, cases, criminal_costs,
    criminal_payouts, aml_seized, case_seized, metrics, region_metrics,
):
    """Bookkeeping's week in one call, in its order: ``tally_organizations`` (members by
    organization and region into ``members_or``, dissolution), ``update_threat``, and from
    week 0 on (spin-up weeks are not reported) ``weekly_metrics`` into
    ``region_metrics[week]`` and ``metrics_row`` into ``metrics[week]``. Returns
    ``tally_organizations``'s (organizations dissolved, assets abandoned)."""
    n_gone, abandoned = tally_organizations(counts, org_active, cash, laundered, members_or)
    update_threat(
        kills_by_o, income_o, revenue_oc, corrupt_otr, members_or, org_active, keep, ema,
        w_violence, w_revenue, w_corruption, w_reach, w_arms_people, kills, revenue,
        arms_people, threat,
    )
    if week >= 0:
        out = np.empty(N_SCALARS)
        by_commodity = np.empty((sold.shape[0], 4))
        weekly_metrics(
            sold, demand_ref, retail_price, wholesale_price, import_price, purchase_oc,
            shipped, origin_price, arrivals_ocr, transit_flow_cr, seized_cr, region_roles,
            transit_role, org_active, cash, laundered, frozen, org_kind, cartel, gang,
            homicides_r, deaths_or, bystanders_r, patron, agency_budget, members_or,
            corrupt_share_r, guns, population, out, by_commodity, region_metrics[week],
        )
        metrics_row(
            out, by_commodity, source_share, shipped, criminal_income, criminal_members,
            recruits, member_events, case_arrests, intervention_arrests, incarcerated,
            intervention_cost, official_events, removals, splits, cases, criminal_costs,
            criminal_payouts, aml_seized, case_seized, metrics[week],
        )
    return n_gone, abandoned
