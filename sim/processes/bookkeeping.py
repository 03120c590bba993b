"""Bookkeeping (step 12 of the week, ODD 7.12): dissolution of organizations without
members, threat scores, the week's metrics and conservation checks.
"""

from __future__ import annotations

from ..enums import ROLE_TRANSIT, OrgKind
from ..kernels.metrics import N_ROW_SCALARS, bookkeeping_week
from ..metrics import METRICS

EMA = 0.1  # weight of this week in the threat score's moving averages
CARTEL, GANG = int(OrgKind.CARTEL), int(OrgKind.GANG)
assert N_ROW_SCALARS == len(METRICS)  # the kernel writes METRICS's columns in their order

# Kept between weeks (on the state): the threat score and its moving averages
# (orgs.threat, orgs.kills, orgs.revenue, orgs.arms_people), last week's members by
# organization and region (prev_members_or), the ledger and the weekly metrics.
KEEPS = ("orgs.threat", "orgs.kills", "orgs.revenue", "orgs.arms_people", "prev_members_or",
         "ledger", "metrics", "region_metrics")


class ConservationError(RuntimeError):
    """A bookkeeping identity (drug mass, members, money) failed: a bug, never bad input."""


def step(s) -> None:
    """Dissolution, threat scores (documented in docs/ODD.md: a weighted sum of violence,
    revenue, corruption reach, transnational reach, and firearms/human trafficking, each
    scaled by its maximum over active organizations) and, from week 0 on (spin-up weeks are
    not reported), this week's row of metrics and the regions' rows, in one kernel call
    (``sim.kernels.metrics.bookkeeping_week``). This week's members by organization and
    region go straight into ``prev_members_or``, which conflict reads next week."""
    o, t, w, th, ev = s.orgs, s.week, s.world, s.pars.threat, s.member_events
    if t >= s.metrics.shape[0]:  # the kernel does not check bounds
        raise IndexError(f"week {t} is past the {s.metrics.shape[0]} weeks of the metrics")
    n_gone, abandoned = bookkeeping_week(
        s.counts, o.active, o.cash, o.laundered, s.prev_members_or,
        # threat scores
        s.kills_by_o, s.income_o, s.revenue_oc, s.corrupt_otr, 1 - EMA, EMA, th.w_violence,
        th.w_revenue, th.w_corruption, th.w_reach, th.w_arms_people, o.kills, o.revenue,
        o.arms_people, o.threat,
        # the week's metrics
        t, s.sold, w.demand_ref, s.retail_price, s.wholesale_price, s.import_price,
        s.purchase_oc, s.shipped, w.origin_price, s.arrivals_ocr, s.transit_flow_cr,
        s.seized_cr, w.region_roles, ROLE_TRANSIT, o.frozen, o.kind, CARTEL, GANG,
        s.homicides_r, s.deaths_or, s.bystanders_r, s.officials.patron, s.agency_budget,
        s.corrupt_share_r, s.guns, w.population, s.pars.market.source_share,
        s.criminal_income, s.ledger.active, s.recruits, ev, s.case_arrests,
        s.intervention_arrests, s.ledger.incarcerated, float(s.intervention_cost),
        s.official_events, s.removals, s.n_splits, s.cases, s.criminal_costs,
        s.criminal_payouts, s.aml_seized, s.case_seized, s.metrics, s.region_metrics,
    )
    if n_gone:
        s.ledger.abandoned += abandoned
    if s.checks:
        problems = s.ledger.check(s)
        if problems:
            raise ConservationError(f"week {t}: " + "; ".join(problems))
