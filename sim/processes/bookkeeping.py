"""Bookkeeping (step 12 of the week, ODD 7.12): dissolution of organizations without
members, threat scores, the week's metrics and conservation checks.
"""

from __future__ import annotations

import numpy as np

from ..enums import ROLE_TRANSIT, OrgKind
from ..kernels import metrics as mk
from ..kernels.metrics import tally_organizations, update_threat, weekly_metrics

EMA = 0.1  # weight of this week in the threat score's moving averages

# Kept between weeks (on the state): the threat score and its moving averages
# (orgs.threat, orgs.kills, orgs.revenue, orgs.arms_people), last week's members by
# organization and region (prev_members_or), the ledger and the weekly metrics.
KEEPS = ("orgs.threat", "orgs.kills", "orgs.revenue", "orgs.arms_people", "prev_members_or",
         "ledger", "metrics", "region_metrics")


class ConservationError(RuntimeError):
    """A bookkeeping identity (drug mass, members, money) failed: a bug, never bad input."""


def step(s) -> None:
    o, t = s.orgs, s.week
    members_or = np.empty((o.capacity, s.R))
    n_gone, abandoned = tally_organizations(s.counts, o.active, o.cash, o.laundered,
                                            members_or)
    if n_gone:
        s.ledger.abandoned += abandoned
    threat_scores(s, members_or)
    if t >= 0:  # spin-up weeks (t < 0) are not reported
        record(s, members_or)
    s.prev_members_or[:] = members_or
    if s.checks:
        problems = s.ledger.check(s)
        if problems:
            raise ConservationError(f"week {t}: " + "; ".join(problems))


def threat_scores(s, members_or) -> None:
    """Threat score (documented in docs/ODD.md): weighted sum of violence, revenue,
    corruption reach, transnational reach, and firearms/human trafficking, each scaled by
    its maximum over active organizations."""
    o, th = s.orgs, s.pars.threat
    update_threat(
        s.kills_by_o, s.income_o, s.revenue_oc, s.corrupt_otr, members_or, o.active,
        1 - EMA, EMA, th.w_violence, th.w_revenue, th.w_corruption, th.w_reach,
        th.w_arms_people, o.kills, o.revenue, o.arms_people, o.threat,
    )


def record(s, members_or) -> None:
    """This week's row of metrics and the regions' rows."""
    w, o, t = s.world, s.orgs, s.week
    out, by_c = np.empty(mk.N_SCALARS), np.empty((s.C, 4))
    weekly_metrics(
        s.sold, w.demand_ref, s.retail_price, s.wholesale_price, s.import_price, s.purchase_oc,
        s.shipped, w.origin_price, s.arrivals_ocr, s.transit_flow_cr, s.seized_cr,
        w.region_roles, ROLE_TRANSIT, o.active, o.cash, o.laundered, o.frozen, o.kind,
        int(OrgKind.CARTEL), int(OrgKind.GANG), s.homicides_r, s.deaths_or, s.bystanders_r,
        s.officials.patron, s.agency_budget, members_or, s.corrupt_share_r, s.guns,
        w.population, out, by_c, s.region_metrics[t],
    )
    v = out.tolist()  # Python floats, as float() of each element gives
    retail, export_p, seized = v[mk.RETAIL], v[mk.EXPORT], out[mk.SEIZURES]
    row = {
        "retail_price": retail,
        "wholesale_price": v[mk.WHOLESALE],
        "import_price": v[mk.IMPORT],
        "export_price": export_p,
        "source_price": s.pars.market.source_share * export_p,
        "consumption": v[mk.CONSUMPTION],
        "supply_shipped": float(s.shipped[0]),
        "seizures": v[mk.SEIZURES],
        "criminal_revenue": s.criminal_income,
        "criminal_wealth": v[mk.WEALTH],
        "laundered_assets": v[mk.LAUNDERED],
        "frozen_assets": v[mk.FROZEN],
        "active_cartels": int(v[mk.ACTIVE_CARTELS]),
        "active_gangs": int(v[mk.ACTIVE_GANGS]),
        "criminal_members": int(s.ledger.active),
        "recruits": s.recruits,
        "arrests": int(s.member_events[0]) + s.case_arrests + s.intervention_arrests,
        "incarcerated": int(s.ledger.incarcerated),
        "homicides": int(v[mk.HOMICIDES]),
        "corruption_rate": v[mk.CORRUPTION_RATE],
        "enforcement_spend": v[mk.AGENCY_BUDGET] + s.intervention_cost,
        "market_hhi": v[mk.HHI],
        "route_nodes": int(v[mk.ROUTE_NODES]),
        "intervention_cost": float(s.intervention_cost),
        "seizure_rate": float(seized / s.shipped[0]) if s.shipped[0] > 0 else 0.0,
        "markup": retail / out[mk.SOURCE_MEAN],  # numpy's division (inf, not an error)
        "members_killed": int(v[mk.MEMBERS_KILLED]),
        "bystanders_killed": int(v[mk.BYSTANDERS_KILLED]),
        "officials_caught": int(s.official_events[2]),
        "leader_removals": s.removals,
        "splits": s.n_splits,
        "cases_matured": s.cases,
        "criminal_costs": s.criminal_costs,
        "criminal_payouts": s.criminal_payouts,
        "aml_seized": s.aml_seized,
        "case_assets_seized": s.case_seized,
    }
    vals = list(row.values())
    for c in range(1, s.C):
        vals += by_c[c].tolist()
    s.metrics[t] = vals
