"""The tocsim model: a Mesa model whose agents are numpy arrays updated by Numba kernels."""

from __future__ import annotations

import mesa
import numpy as np

from . import kernels as _k  # noqa: F401  (documents where the arithmetic lives)
from ._processes import Processes
from .agents import (
    Members,
    Officials,
    Organizations,
    init_members,
    nearest_origins,
    role_share_table,
)
from .enums import N_OFFICIAL_TYPES, N_ROLES, Role, Status
from .kernels.officials import logistic
from .ledger import Ledger
from .live import LiveChanges
from .metrics import METRICS, commodity_columns
from .params import as_namespace
from .rng import spinup_streams, streams


class ConservationError(RuntimeError):
    """A bookkeeping identity (drug mass, members, money) failed: a bug, never bad input."""


class TocModel(Processes, LiveChanges, mesa.Model):
    """Illicit markets, criminal organizations, officials and agencies, week by week.

    Build it from a validated :class:`~sim.scenario.Scenario`; ``run()`` advances all weeks and
    ``metrics_frame()`` returns the weekly metrics. See ``step`` for the weekly order.
    """

    def __init__(self, scenario, *, checks: bool | None = None, org_capacity: int | None = None):
        super().__init__(rng=scenario.seed)
        self.config = scenario
        self.world = w = scenario.world
        self.pars = pars = as_namespace(scenario.params)
        self.checks = bool(pars.run.conservation_checks) if checks is None else checks
        self.streams = streams(scenario.seed)
        R, E, C, A = w.n_regions, w.n_edges, len(w.commodity_names), len(w.agency_names)
        O0 = len(w.org_names)
        self.R, self.E, self.C, self.A = R, E, C, A
        self.week = 0
        self.scale = float(w.extra.get("scale", 1.0))

        order = np.argsort(w.edge_from, kind="stable")
        self.adj_edge = order.astype(np.int32)
        self.adj_start = np.searchsorted(w.edge_from[order], np.arange(R + 1)).astype(np.int64)

        init = self.streams["init"]
        # org_capacity: initial organization slots (engineering; results do not depend on it)
        self.orgs = Organizations(w, E, A, capacity=org_capacity or max(2 * O0, O0 + 32))
        nearest_origins(w, self.orgs)
        self.members: Members = init_members(w, pars, init)
        self.orgs.leader[:O0] = self.members.initial_leaders
        self.officials = Officials(w, pars, init)
        self.role_share = role_share_table(pars)

        # Levers: capacities, budgets and probabilities that interventions change (never
        # output metrics). Reset to these base values at the start of every week; the
        # interventions active that week then add their effects.
        self._lever_base = {
            "enforcement_capacity": w.enforcement_capacity.copy(),
            "judicial_capacity": w.judicial_capacity.copy(),
            "state_capacity": w.state_capacity.copy(),
            "legit_wage": w.legit_wage.copy(),
            "demand_ref": w.demand_ref.copy(),
            "edge_extra_hazard": np.zeros(E),
            "agency_budget": w.agency_budget.copy(),
            "aml_multiplier": np.ones(R),
            "detection_multiplier": np.ones(R),
            "penalty_mult": np.ones(R),
            "pay_mult": np.ones(R),
            "integrity_boost": np.zeros(R),
            "detect_type_mult": np.ones((N_OFFICIAL_TYPES, R)),
            "agency_partners": w.agency_partners.copy(),
            # share of each region's at-risk people still recruitable (prevention reach)
            "recruitable_share": np.ones(R),
        }
        for name, base in self._lever_base.items():
            setattr(self, name, base.copy())
        self.share_rate_add = 0.0
        self.intervention_cost = 0.0
        self.intervention_arrests = 0

        # Markets.
        self.stock = np.zeros((C, R))
        # stage prices [C, R] (ODD 7.4): retail clears; wholesale and import are what the
        # retail price leaves upstream; chain_import is the supply price at the border
        self.retail_price = w.price_ref.copy()
        self.wholesale_price = self.retail_price.copy()
        self.import_price = self.retail_price.copy()
        self.chain_import = np.full((C, R), np.nan)  # set from the first shipments
        self.guns = w.guns_per_1000 * w.population / 1000.0
        self.value_at_risk = np.array(
            [w.price_ref[c][w.demand_ref[c] > 0].mean() for c in range(C)]
        )
        self.prev_members_or = np.zeros((self.orgs.capacity, R))
        self.corrupt_share_r = np.zeros(R)
        self.violence_r = np.zeros(R)  # homicides per 100k residents per year (last week)

        self._alloc_work()
        self._init_agencies()
        self.prev_members_or[:] = self.counts.sum(axis=2)
        self.orgs.role_memory[:] = self.counts.sum(axis=1)
        sf = pars.market.sell_fraction
        self.stock[:] = np.where(w.retail_by_dealers[:, None], w.demand_ref * (1 - sf) / sf, 0.0)
        self._init_shipping()
        self._init_corruption()
        # organizations start solvent: their income average starts at their wage bill
        from ._processes import _role_vector

        self.orgs.revenue[:] = self.counts.sum(axis=1) @ _role_vector(pars.finance, "wage_")
        self.ledger = Ledger(self)
        n_cols = len(self.metric_names)
        self.metrics = np.full((scenario.weeks, n_cols), np.nan)
        self.region_metrics = np.full((scenario.weeks, R, 7), np.nan)
        self.interventions = []
        self.spinup_seconds = self._spin_up(int(pars.run.spinup_weeks))
        from .interventions import build_interventions

        self.interventions = build_interventions(self)  # set up on the spun-up state

    # ------------------------------------------------------------------ set-up helpers
    @property
    def metric_names(self) -> list[str]:
        return list(METRICS) + commodity_columns(self.world.commodity_names)

    def _alloc_work(self) -> None:
        """(Re)allocate work arrays sized by organization capacity."""
        O, R, E, C = self.orgs.capacity, self.R, self.E, self.C
        self.counts = np.zeros((O, R, N_ROLES), np.int64)
        self.arrests_or = np.zeros((O, R), np.int64)
        self.deaths_or = np.zeros((O, R), np.int64)
        self.member_events = np.zeros(6, np.int64)
        self.leader_lost = np.zeros(O, np.int8)
        self.h_arrest = np.zeros((O, R, N_ROLES))
        self.h_death = np.zeros((O, R, N_ROLES))
        self.expected_deaths_r = np.zeros(R)
        self.kills_by_o = np.zeros(O)
        self.shipped = np.zeros(C)
        self.seized_cr = np.zeros((C, R))
        self.arrivals_ocr = np.zeros((O, C, R))
        self.transit_flow_cr = np.zeros((C, R))
        self.org_region_flow = np.zeros((O, R))
        self.edge_flow = np.zeros(E)
        self.edge_flow_prev = np.zeros(E)
        self.purchase_oc = np.zeros((O, C))
        self.transport_oc = np.zeros((O, C))
        self.route_risk = np.zeros((O, C, R))
        self.sent_ocr = np.zeros((O, C, R))
        self.landed_ocr = np.zeros((O, C, R))
        self.sold = np.zeros((C, R))
        self.corrupt_otr = np.zeros((O, N_OFFICIAL_TYPES, self.R), np.int64)
        self.bribes_o = np.zeros(O)
        self.official_events = np.zeros(3, np.int64)
        self.recruiter_pool = np.full((O, 64), -1, np.int64)
        # organization-indexed levers (reset every week in _reset_levers)
        self.extra_arrest = np.zeros((O, N_ROLES))  # added arrest hazard by role (1/week)
        self.case_rate_mult = np.ones(O)
        self.task_force = np.zeros(O)  # dedicated investigators
        self.launder_access = np.ones(O)  # share of laundering capacity still usable
        self.launder_fee_add = np.zeros(O)
        self.detect_patron_mult = np.ones(O)  # detection of officials on the org's payroll
        self.route_share = np.zeros((O, R))
        self.protect_seize = np.zeros((O, R))
        self.protect_judicial = np.zeros((O, R))
        self.protect_political = np.zeros(O)
        self.intel_or = np.zeros((O, R))

    # per-organization arrays set during the week outside _alloc_work: kept when orgs grow
    _WEEK_ORG_ARRAYS = ("prev_members_or", "income_o", "revenue_oc", "wages_o", "conviction",
                        "investigators_ao")

    def _grow_orgs(self) -> None:
        """Double the organization capacity mid-week (a split needs a slot). Every work array
        keeps what this week has already recorded (shipments, seizures, arrests, deaths,
        leaders lost, ...): the old values go to the leading slots of the larger array and
        the new slots start as _alloc_work starts them."""
        old = self.orgs.capacity
        self.orgs.grow()
        work = {n: v for n, v in vars(self).items() if isinstance(v, np.ndarray)}
        self._alloc_work()
        for name, fresh in list(vars(self).items()):
            prev = work.get(name)
            if prev is not None and fresh is not prev and isinstance(fresh, np.ndarray):
                fresh[tuple(slice(0, k) for k in prev.shape)] = prev
        cap = self.orgs.capacity
        for name in self._WEEK_ORG_ARRAYS:
            a = getattr(self, name, None)
            if a is None:
                continue
            axis = 1 if name == "investigators_ao" else 0
            assert a.shape[axis] == old, name
            pad = [(0, 0)] * a.ndim
            pad[axis] = (0, cap - old)
            setattr(self, name, np.pad(a, pad))
        if getattr(self, "conviction", None) is not None:  # new slots: no protection yet
            self.conviction[old:] = self.judicial_capacity[None, :]

    def _init_agencies(self) -> None:
        w, orgs = self.world, self.orgs
        O0 = orgs.n
        members_or = w.org_presence
        for a in range(self.A):
            present = (members_or[:O0] * w.agency_regions[a]).sum(axis=1) > 0
            orgs.intel[a, :O0] = np.where(present, self.pars.structure.initial_intel, 0.0)
        self._recount()
        rng = self.streams["init"]
        for org in range(O0):  # initial recruiter pools: a random sample of each organization
            idx = np.nonzero(self.members.org[: self.members.n] == org)[0]
            take = rng.choice(idx, size=min(idx.size, self.recruiter_pool.shape[1]), replace=False)
            self.recruiter_pool[org, : take.size] = take

    def _init_shipping(self) -> None:
        """Start shipping at capacity; wholesale and import prices from the retail reference."""
        self._update_wholesale_prices(np.zeros(self.R))
        logistics = self.counts[:, :, Role.LOGISTICS].sum(axis=1)
        self.orgs.ship_target[:] = self._shipping_capacity(logistics)

    def _shipping_capacity(self, logistics: np.ndarray) -> np.ndarray:
        w = self.world
        cap = logistics[:, None] * self.pars.transport.capacity_per_trafficker
        return cap * w.capacity_share[None, :] / np.maximum(w.transport_weight, 1e-12)[None, :] \
            * self.orgs.trades

    def _init_corruption(self) -> None:
        """Initial corruption: every official where organizations operate gets one offer."""
        off, rng = self.officials, self.streams["init"]
        members_or = self.counts.sum(axis=2).astype(np.float64)
        tot = members_or.sum(axis=0)
        c = self.pars.corruption
        detect = -np.expm1(-c.detection_rate * self.judicial_capacity)  # weekly probability
        for j in range(off.n):
            r = off.region[j]
            if tot[r] <= 0:
                continue
            u = (c.bribe_multiple - c.integrity_weight * off.integrity[j]
                 - detect[r] * c.penalty_weeks) / c.noise
            if rng.random() < logistic(u):  # stable for any u (no math.exp overflow)
                off.patron[j] = rng.choice(members_or.shape[0], p=members_or[:, r] / tot[r])
        self._update_corruption_state()

    def _spin_up(self, weeks: int) -> float:
        """Run ``weeks`` unreported weeks before week 0 (weeks -weeks..-1), with no
        interventions and the weekly processes drawing from their ``spinup/`` streams, so
        that week 0 starts from the model's own (near-)stationary state rather than from the
        built initial state (ODD 5). Returns the seconds it took."""
        if weeks <= 0:
            return 0.0
        import time

        t0 = time.perf_counter()
        main = self.streams
        self.streams = dict(main, **spinup_streams(self.config.seed))
        self.week = -weeks
        m = self.members  # the initial members joined before the spin-up started
        m.joined[: m.n] -= weeks
        m.release[: m.n] = np.where(m.status[: m.n] == Status.INCARCERATED,
                                    m.release[: m.n] - weeks, m.release[: m.n])
        while self.week < 0:
            self.step()
        self.streams = main
        return time.perf_counter() - t0

    # ------------------------------------------------------------------ the week
    def step(self) -> None:
        """Advance one week. The order of the weekly cycle:

        1. Interventions act: they change capacities, budgets and probabilities.
        2. Sourcing and route choice: each organization buys at its origin, picks least
           risk-adjusted-cost paths over the corridors and splits volume over markets.
        3. Interdiction: lots cross corridors and are seized; organizations learn risk.
        4. Markets: retail prices clear supply against demand; wholesale and import prices are
           what retail leaves after the value added downstream (dealers' risk and margins);
           the chain's supply price at the border is updated from landed costs; firearms add
           to regional gun stocks.
        5. Corruption: offers, acceptance, bribes, detection; protection is updated.
        6. Finance: revenue, purchases, transport, wages, bribes (paid pro rata when cash runs
           short); payouts from wealth; laundering against AML; shipments follow the gap
           between the import price and the chain's supply price.
        7. Enforcement: agencies assign investigators by threat, build and share
           intelligence, and cases mature into arrests of leaders and lieutenants and
           asset seizures.
        8. Conflict: killing hazards between organizations sharing regions.
        9. Members: arrests and convictions, deaths, exits, releases.
        10. Leadership: successions start when leaders fall, and end in a promotion or a split.
        11. Recruitment: from regional populations by criminal versus legitimate pay, with
            saturation; roles by deficit; ties to recruiters.
        12. Bookkeeping: presence, threat scores, dissolution, metrics, conservation checks.
        """
        t = self.week
        self._reset_levers()
        self.intervention_cost = sum(iv.apply(self, t) for iv in self.interventions)
        self._ship()
        self._clear_markets()
        self._corruption()
        self._finance()
        self._enforcement()
        self._conflict()
        self._members()
        self._leadership()
        self._recruit()
        self._bookkeeping()
        self.week += 1

    def _reset_levers(self) -> None:
        if not self.interventions:
            return  # nothing ever changes them
        for name, base in self._lever_base.items():
            getattr(self, name)[...] = base
        self.share_rate_add = 0.0
        self.extra_arrest[:] = 0.0
        self.case_rate_mult[:] = 1.0
        self.task_force[:] = 0.0
        self.launder_access[:] = 1.0
        self.launder_fee_add[:] = 0.0
        self.detect_patron_mult[:] = 1.0
        self.intervention_arrests = 0

    def arrest_members(self, idx: np.ndarray, rng: np.random.Generator | None = None,
                       sentence_weeks: float | None = None) -> int:
        """Arrest the active members ``idx`` (an intervention's direct action). With ``rng``
        the courts convict each with this week's probability ``conviction[org, region]`` and
        the rest go free; without, all are incarcerated. Counts, leaders and the ledger are
        kept current. Returns how many were arrested."""
        m, e = self.members, self.pars.enforcement
        idx = np.asarray(idx, np.int64)
        idx = idx[m.status[idx] == Status.ACTIVE]
        if idx.size == 0:
            return 0
        self.intervention_arrests += int(idx.size)
        if rng is not None:
            conv = getattr(self, "conviction", None)
            p = conv[m.org[idx], m.region[idx]] if conv is not None else 1.0
            idx = idx[rng.random(idx.size) < p]
            if idx.size == 0:
                return 0
        m.status[idx] = Status.INCARCERATED
        m.release[idx] = self.week + int(sentence_weeks or e.sentence_weeks)
        m.jail_add(idx)
        np.subtract.at(self.counts, (m.org[idx], m.region[idx], m.role[idx]), 1)
        leaders = idx[m.role[idx] == Role.LEADER]
        for i in leaders:
            if self.orgs.leader[m.org[i]] == i:
                self.leader_lost[m.org[i]] = 1
        self.ledger.members_event(incarcerated=int(idx.size))
        return int(idx.size)

    def run(self, weeks: int | None = None, progress=None) -> TocModel:
        """Run ``weeks`` (default: the scenario's) weeks; ``progress(done, total)`` if given."""
        total = self.config.weeks if weeks is None else weeks
        for i in range(total):
            self.step()
            if progress is not None:
                progress(i + 1, total)
        return self

    # ------------------------------------------------------------------ results
    def metrics_frame(self):
        """Weekly metrics as a pandas DataFrame (column ``week`` then the metrics)."""
        import pandas as pd

        n = self.week
        df = pd.DataFrame(self.metrics[:n], columns=self.metric_names)
        df.insert(0, "week", np.arange(n))
        return df

    def regions_frame(self):
        """Per region and week: drug volume, seizures, homicides, corruption, price, ..."""
        import pandas as pd

        from .metrics import REGION_FIELDS

        n, R = self.week, self.R
        data = self.region_metrics[:n].reshape(n * R, -1)
        df = pd.DataFrame(data, columns=list(REGION_FIELDS))
        df.insert(0, "region", np.tile(self.world.region_names, n))
        df.insert(0, "week", np.repeat(np.arange(n), R))
        return df
