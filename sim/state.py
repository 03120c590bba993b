"""The model's whole state: one object that can be copied and saved as a whole.

:class:`State` holds everything a week reads or writes: the scenario and its parameters, the
agents (members, officials, organizations and agencies' intelligence), the levers and their
base values, each process's quantities kept between weeks and this week's results, the named
random streams, the interventions with their own state and generators, the ledger and the
weekly metrics so far. :class:`~sim.model.TocModel` holds one and its processes
(``sim/processes/``) act on it; nothing of the simulation lives anywhere else, so a copy
(:meth:`State.copy`) or a saved state (:meth:`State.save`, :func:`sim.snapshot`) continues
exactly as the original would have.

Who keeps what between weeks is declared at the top of each process module (``KEEPS``);
the arrays sized by organization capacity are allocated here (:meth:`State.alloc_work`)
and grow together (:meth:`State.grow_orgs`).
"""

from __future__ import annotations

import copy

import numpy as np

from .agents import (
    Members,
    Officials,
    Organizations,
    init_members,
    nearest_origins,
    role_share_table,
)
from .enums import N_OFFICIAL_TYPES, N_ROLES, Role
from .kernels.member_index import (
    count_active_indexed,
    reindex_members_by_org,
)
from .metrics import METRICS, commodity_columns
from .params import as_namespace
from .rng import streams


def role_vector(group, prefix: str, roles=tuple(Role)) -> np.ndarray:
    """The parameters ``<prefix><role>`` of a parameter group, one per role (0 if absent)."""
    return np.array([getattr(group, f"{prefix}{r.name.lower()}", 0.0) for r in roles])


# per-organization arrays set during the week outside alloc_work: kept when organizations grow
# (name, organization axis)
WEEK_ORG_ARRAYS = (("prev_members_or", 0), ("income_o", 0), ("revenue_oc", 0),
                   ("wages_o", 0), ("conviction", 0), ("investigators_ao", 1))


class State:
    """Everything a running model is: see the module docstring."""

    def __init__(self, scenario, *, checks: bool | None = None,
                 org_capacity: int | None = None):
        self.config = scenario
        self.world = w = scenario.world
        self.pars = pars = as_namespace(scenario.params)
        # 0 off, 1 on (member recount every ledger.RECOUNT_WEEKS weeks), 2 recount weekly;
        # checks=True keeps the scenario's level (at least 1), checks=False turns them off
        level = int(pars.run.conservation_checks)
        self.checks = level if checks is None else (max(level, 1) if checks else 0)
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

        self.lever_base = {
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
        for name, base in self.lever_base.items():
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

        # live members by organization (sim.kernels.member_index): rebuilt when stale
        self.member_index_start = np.zeros(1, np.int64)
        self.member_index_slots = np.zeros(0, np.int32)
        self.member_index_region = np.zeros(0, np.int32)  # region of each indexed slot
        self.member_cells_start = np.zeros(1, np.int64)  # ... by (organization, region)
        self.member_cells_slots = np.zeros(0, np.int32)
        self.member_index_upto = 0  # member slots below this are indexed
        self.member_index_fresh = False  # False after members changed organization
        self.member_index_wasted = 0.0  # member-step visits wasted since (members_by_org)

        self.alloc_work()
        self._init_agencies()
        self.prev_members_or[:] = self.counts.sum(axis=2)
        self.orgs.role_memory[:] = self.counts.sum(axis=1)
        sf = pars.market.sell_fraction
        self.stock[:] = np.where(w.retail_by_dealers[:, None], w.demand_ref * (1 - sf) / sf, 0.0)
        self.interventions = []
        self.live_changes: list = []

    # ------------------------------------------------------------------ set-up
    @property
    def metric_names(self) -> list[str]:
        return list(METRICS) + commodity_columns(self.world.commodity_names)

    def alloc_work(self) -> None:
        """(Re)allocate the arrays sized by organization capacity."""
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
        # organization-indexed levers (reset every week in reset_levers)
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

    def grow_orgs(self) -> None:
        """Double the organization capacity mid-week (a split needs a slot). Every work array
        keeps what this week has already recorded (shipments, seizures, arrests, deaths,
        leaders lost, ...): the old values go to the leading slots of the larger array and
        the new slots start as alloc_work starts them."""
        old = self.orgs.capacity
        self.orgs.grow()
        work = {n: v for n, v in vars(self).items() if isinstance(v, np.ndarray)}
        self.alloc_work()
        for name, fresh in list(vars(self).items()):
            prev = work.get(name)
            if prev is not None and fresh is not prev and isinstance(fresh, np.ndarray):
                fresh[tuple(slice(0, k) for k in prev.shape)] = prev
        cap = self.orgs.capacity
        for name, axis in WEEK_ORG_ARRAYS:
            a = getattr(self, name, None)
            if a is None:
                continue
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
        self.recount()
        rng = self.streams["init"]
        for org in range(O0):  # initial recruiter pools: a random sample of each organization
            idx = np.nonzero(self.members.org[: self.members.n] == org)[0]
            take = rng.choice(idx, size=min(idx.size, self.recruiter_pool.shape[1]), replace=False)
            self.recruiter_pool[org, : take.size] = take

    # ------------------------------------------------------------------ weekly helpers
    def members_by_org(self, wasted: float = 0.0) -> tuple[np.ndarray, np.ndarray, int, int]:
        """The index of live members by organization: ``start``, ``slots`` (organization
        o's in ``slots[start[o]:start[o + 1]]``, slot order) and the unindexed tail of
        member slots ``tail_from .. n_used - 1`` (see sim/kernels/member_index.py). Rebuilt
        first if members changed organization since, or the tail grew long, or when the
        visits ``wasted`` by the member step since the last rebuild (gaps landing on members
        dead or gone since, and the tail walked at the largest bound; the caller adds this
        week's expected number) add up to a sixteenth of the slots a rebuild reads (a visit
        costs about sixteen times a slot read by the rebuild: a rebuild pays for itself
        then, as a ski rental does)."""
        m, cap = self.members, self.orgs.capacity
        tail = m.n - self.member_index_upto
        n_idx = self.member_index_slots.shape[0]
        self.member_index_wasted += wasted
        if not self.member_index_fresh or self.member_index_start.shape[0] != cap + 1 \
                or tail > 1024 + n_idx // 4 \
                or self.member_index_wasted > (n_idx + tail) / 16:
            # with the regions of the indexed members (they never change), and regrouped by
            # (organization, region) cell for the member step's thinning
            (self.member_index_start, self.member_index_slots, self.member_index_region,
             self.member_cells_start, self.member_cells_slots) = reindex_members_by_org(
                m.status, m.org, m.region, m.n, self.member_index_start,
                self.member_index_slots, self.member_index_region, self.member_index_upto, cap,
                self.R)
            self.member_index_upto = m.n
            self.member_index_fresh = True
            self.member_index_wasted = 0.0
        return (self.member_index_start, self.member_index_slots, self.member_index_upto,
                m.n)

    def recount(self) -> None:
        """Recount active members by (organization, region, role) from the member arrays."""
        m = self.members
        count_active_indexed(*self.members_by_org(), m.status, m.org, m.region, m.role,
                             self.counts)

    def reset_levers(self) -> None:
        """Levers back to their base values (only needed when interventions exist)."""
        if not self.interventions:
            return  # nothing ever changes them
        for name, base in self.lever_base.items():
            getattr(self, name)[...] = base
        self.share_rate_add = 0.0
        self.extra_arrest[:] = 0.0
        self.case_rate_mult[:] = 1.0
        self.task_force[:] = 0.0
        self.launder_access[:] = 1.0
        self.launder_fee_add[:] = 0.0
        self.detect_patron_mult[:] = 1.0
        self.intervention_arrests = 0

    # ------------------------------------------------------------------ copy and save
    def __setstate__(self, state: dict) -> None:
        """Restore a pickled state. A state saved before the jail heap and the member step's
        cell index (issue 11) has its jail put in heap order and its member index rebuilt
        from every slot at the next use, so it continues (with the new draw order)."""
        self.__dict__.update(state)
        if "member_cells_start" not in state:
            self.member_index_start = np.zeros(1, np.int64)
            self.member_index_slots = np.zeros(0, np.int32)
            self.member_index_region = np.zeros(0, np.int32)
            self.member_index_upto = 0
            self.member_index_fresh = False
            self.member_index_wasted = 0.0
            self.member_cells_start = np.zeros(1, np.int64)
            self.member_cells_slots = np.zeros(0, np.int32)
            self.members.jail_reorder()

    def copy(self) -> State:
        """An independent copy: every array, generator and intervention duplicated, so the
        copy and the original continue identically and separately."""
        return copy.deepcopy(self)

    def save(self, path):
        """Write this state to ``path`` as an exact snapshot (see :mod:`sim.snapshot`)."""
        from . import snapshot

        return snapshot.save(self, path)

    @staticmethod
    def load(path) -> State:
        """Read a state written by :meth:`save`."""
        from . import snapshot
        from .errors import ScenarioError

        obj = snapshot.load(path)
        if not isinstance(obj, State):
            raise ScenarioError(f"{path}: not a saved model state")
        return obj
