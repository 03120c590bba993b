"""The weekly processes of :class:`~sim.model.TocModel`, in the order of ``TocModel.step``.

Each method gathers arrays, calls a kernel (or does a few vector operations on small
organization-by-region arrays) and records what happened. The arithmetic on agents lives in
``sim/kernels``.
"""

from __future__ import annotations

import numpy as np

from .agents import INTEGRITY_CONCENTRATION, integrity_mean
from .enums import ROLE_TRANSIT, OfficialType, OrgKind, Role, Status
from .kernels.conflict import conflict_hazards
from .kernels.markets import clear_markets
from .kernels.members import (
    arrest_members_of_role,
    count_active,
    promote_leader,
    recruit,
    split_members,
    step_members,
)
from .kernels.officials import step_officials
from .kernels.routing import ship_commodities

EMA = 0.1  # weight of this week in the threat score's moving averages


def _role_vector(group, prefix: str, roles=tuple(Role)) -> np.ndarray:
    return np.array([getattr(group, f"{prefix}{r.name.lower()}", 0.0) for r in roles])


class Processes:
    """Mixin holding the process steps; ``TocModel`` supplies the state."""

    # ------------------------------------------------------------- 2-3 shipping
    def _ship(self) -> None:
        w, o, t = self.world, self.orgs, self.pars.transport
        i = self.pars.interdiction
        if not hasattr(self, "_cost_per_km"):
            self._cost_per_km = np.array([t.cost_land, t.cost_sea, t.cost_air])
            self._mode_rate = i.effectiveness * np.array([i.rate_land, i.rate_sea, i.rate_air])
        ship_commodities(
            self.streams["shipping"],
            o.active, o.trades, o.origin, o.ship_target,
            o.risk_ev, o.risk_tr, t.risk_memory, t.risk_prior_events, t.risk_prior_trials,
            self.adj_start, self.adj_edge, w.edge_from, w.edge_to, w.edge_mode, w.edge_dist,
            w.edge_capacity, self.edge_flow_prev, self.edge_extra_hazard, self._cost_per_km,
            self._mode_rate, w.transport_weight, w.seizure_factor, w.lot_size, w.origin_price,
            self.demand_ref, self.expected_import, self.value_at_risk, t.risk_aversion,
            t.congestion_cost, self.enforcement_capacity, self.intel_or, i.intel_gain,
            self.protect_seize,
            self.shipped, self.seized_cr, self.arrivals_ocr, self.transit_flow_cr,
            self.org_region_flow, self.edge_flow, self.purchase_oc, self.transport_oc,
            self.route_risk, self.sent_ocr, self.landed_ocr,
        )
        self.edge_flow_prev[:] = self.edge_flow

    # ------------------------------------------------------------- 4 markets
    def _clear_markets(self) -> None:
        w, m = self.world, self.pars.market
        dealers_or = self.counts[:, :, Role.DEALER]
        dealers_r = dealers_or.sum(axis=0).astype(np.float64)
        arrivals_cr = self.arrivals_ocr.sum(axis=0)
        stock_before = self.stock.sum(axis=1)
        clear_markets(
            self.stock, arrivals_cr, self.demand_ref, w.price_ref, w.elasticity * m.elasticity_multiplier,
            m.sell_fraction, w.retail_by_dealers, dealers_r * m.dealer_capacity,
            m.price_floor, m.price_cap, self.retail_price, self.sold,
        )
        self.ledger.goods(self.shipped, self.seized_cr.sum(axis=1), self.sold.sum(axis=1),
                          self.stock.sum(axis=1) - stock_before)
        # dealers' annual arrest probability by region (last week's weekly hazards, as rates)
        h = self.h_arrest[:, :, Role.DEALER]
        with np.errstate(invalid="ignore", divide="ignore"):
            h_r = np.where(dealers_r > 0, (h * dealers_or).sum(axis=0) / dealers_r, 0.0)
        self._update_wholesale_prices(-np.expm1(-52.0 * h_r))

        # revenue: consumer spending reaches dealers' organizations (retail chain) or the
        # delivering traffickers (direct sale); dealers pay traffickers the wholesale price.
        O = self.orgs.capacity
        income = np.zeros(O)
        self.revenue_oc = rev_oc = np.zeros((O, self.C))
        self.import_rev_oc = imp_oc = np.zeros((O, self.C))  # the same sales at the import price
        has_dealers = dealers_r > 0
        with np.errstate(invalid="ignore", divide="ignore"):
            share = np.where(has_dealers, dealers_or / dealers_r, 0.0)
        for c in range(self.C):
            spend = self.retail_price[c] * self.sold[c]
            with np.errstate(invalid="ignore", divide="ignore"):
                frac = np.where(arrivals_cr[c] > 0, self.arrivals_ocr[:, c, :] / arrivals_cr[c], 0.0)
            if w.retail_by_dealers[c]:
                # dealers pay the wholesale price for what they sell, to this week's suppliers
                # (on consignment); with no deliveries this week they keep the whole margin
                wholesale = self.wholesale_price[c] * self.sold[c] * (arrivals_cr[c] > 0)
                to_traffickers = (frac * wholesale).sum(axis=1)
                income += (share * (spend - wholesale)).sum(axis=1) + to_traffickers
                rev_oc[:, c] = to_traffickers
            else:
                rev_oc[:, c] = (frac * spend).sum(axis=1)
                income += rev_oc[:, c]
            imp_oc[:, c] = (frac * self.import_price[c] * self.sold[c]).sum(axis=1)
            if w.is_firearm[c]:
                self.guns += self.sold[c]
        self.guns *= 1.0 - self.pars.conflict.firearm_decay
        self.income_o = income
        self.consumer_spend = float((self.retail_price * self.sold).sum())

    def _update_wholesale_prices(self, dealer_annual_arrest_r: np.ndarray) -> None:
        """Stage prices (ODD 7.4). Downstream of the border the value added at each stage is
        an additive amount (in units of the market's reference retail price): dealers' margin
        plus their risk premium at retail, domestic distribution at wholesale. The wholesale
        and import prices are what this week's clearing retail price leaves after them (so a
        stock-out raises every stage by the same amount). The chain's supply price at the
        border, ``chain_import``, is the landed cost (purchase and transport, grossed up for
        the perceived seizure risk of the route) plus the importers' margin
        ``transport.hurdle_rate``: shipments grow while the import price beats it and shrink
        otherwise (``_adjust_shipments``), so in the steady state retail rests on the chain."""
        w, m = self.world, self.pars.market
        dealers = w.retail_by_dealers[:, None]
        ref = w.price_ref
        va_retail = np.where(dealers, (m.retail_value_added + m.dealer_risk_premium
                                       * dealer_annual_arrest_r[None, :]) * ref, 0.0)
        va_wholesale = np.where(dealers, m.wholesale_value_added * ref, 0.0)
        sent = self.sent_ocr.sum(axis=0)
        with np.errstate(invalid="ignore", divide="ignore"):
            landed = np.where(sent > 0, (self.sent_ocr * self.landed_ocr).sum(axis=0) / sent,
                              np.nan)
        chain = landed * (1.0 + self.pars.transport.hurdle_rate)
        self.chain_import[:] = np.where(np.isfinite(chain), chain, self.chain_import)
        self.chain_retail = self.chain_import + va_wholesale + va_retail  # the chain's retail price
        # prices stay positive and ordered: a glut squeezes margins to price_floor, not below
        self.wholesale_price[:] = np.maximum(self.retail_price - va_retail,
                                             m.price_floor * self.retail_price)
        self.import_price[:] = np.maximum(self.wholesale_price - va_wholesale,
                                          m.price_floor * self.wholesale_price)
        # traffickers choose destinations on the import price they expect (a moving average)
        if not hasattr(self, "expected_import"):
            self.expected_import = self.import_price.copy()
        a = self.pars.transport.price_memory
        self.expected_import[:] = (1.0 - a) * self.expected_import + a * self.import_price
        weights = self.demand_ref
        self.value_at_risk[:] = (self.expected_import * weights).sum(axis=1) / np.maximum(
            weights.sum(axis=1), 1e-12)

    # ------------------------------------------------------------- 5 corruption
    def _corruption(self) -> None:
        c, off, o = self.pars.corruption, self.officials, self.orgs
        presence_or = self.counts.sum(axis=2).astype(np.float64)
        # a hazard: the kernel turns it into the weekly probability 1 - exp(-h)
        detect_r = c.detection_rate * self.judicial_capacity * self.detection_multiplier
        step_officials(
            self.streams["officials"], off.region, off.otype, off.integrity, off.salary,
            off.patron, o.active, o.cash > 0, presence_or, self.corrupt_share_r, self.violence_r,
            detect_r, np.minimum(integrity_mean(self.state_capacity) + self.integrity_boost, 0.98),
            INTEGRITY_CONCENTRATION,
            c.offer_rate, c.bribe_multiple, c.integrity_weight, c.penalty_weeks, c.peer_weight,
            c.threat_weight, c.noise, c.unpaid_quit, self.detect_type_mult, self.detect_patron_mult,
            self.penalty_mult, self.pay_mult, self.corrupt_otr, self.bribes_o,
            self.official_events,
        )
        self._update_corruption_state(recount=False)

    def _update_corruption_state(self, recount: bool = True) -> None:
        off, i = self.officials, self.pars.interdiction
        if recount:
            self.corrupt_otr[:] = 0
            k = off.patron >= 0
            np.add.at(self.corrupt_otr, (off.patron[k], off.otype[k], off.region[k]), 1)
        corrupt_r = self.corrupt_otr.sum(axis=(0, 1))
        officials_r = np.maximum(self.world.officials, 1)
        self.corrupt_share_r[:] = corrupt_r / officials_r

        def protection(n):
            half = i.protection_half * self.scale  # officials scale with the world
            return i.protection_max * n / (n + half)

        police = self.corrupt_otr[:, OfficialType.POLICE] + self.corrupt_otr[:, OfficialType.CUSTOMS]
        self.protect_seize[:] = protection(police)
        self.protect_judicial[:] = protection(self.corrupt_otr[:, OfficialType.JUDICIAL])
        self.protect_political[:] = protection(
            self.corrupt_otr[:, OfficialType.POLITICAL].sum(axis=1))

    # ------------------------------------------------------------- 6 finance
    def _finance(self) -> None:
        """Income in; costs paid out of cash, pro rata when cash and savings run short (the
        unpaid rest is a default, never a debt: cash does not go below zero); payouts from the
        wealth above the reserve; laundering of the cash above it (ODD 7.6)."""
        f, o = self.pars.finance, self.orgs
        if not hasattr(self, "_wage"):
            self._wage = _role_vector(f, "wage_")
        by_role = self.counts.sum(axis=1)
        self.wages_o = wages = by_role @ self._wage
        returns = o.laundered * f.laundered_return * o.active
        overhead = f.overhead_share * np.maximum(self.income_o, 0.0)
        costs = (self.purchase_oc.sum(axis=1) + self.transport_oc.sum(axis=1) + wages
                 + self.bribes_o + overhead)
        o.cash += self.income_o + returns
        # short of cash for this week's costs and the reserve: bring laundered assets back
        # (no fee: the organization's own money)
        reserve = f.reserve_weeks * wages
        shortfall = np.maximum(costs + reserve - o.cash, 0.0) * o.active
        drawn = np.minimum(shortfall, o.laundered)
        o.cash += drawn
        o.laundered -= drawn
        # pay what cash allows; members, officials and suppliers share the shortfall pro rata
        paid = np.minimum(costs, np.maximum(o.cash, 0.0))
        o.cash -= paid
        self.defaulted = float((costs - paid).sum())
        o.stress[:] = (paid < costs) & o.active
        # payouts: leaders' and members' takings beyond wages, fronts' losses, money lost
        excess = np.maximum(o.cash - reserve, 0.0)
        pay_cash = f.payout_rate * excess
        pay_laundered = f.payout_rate * o.laundered * o.active
        o.cash -= pay_cash
        o.laundered -= pay_laundered
        payouts = pay_cash + pay_laundered
        # laundering: cash above a reserve, limited by launderers, against AML detection
        excess = np.maximum(o.cash - reserve, 0.0)
        capacity = by_role[:, Role.LAUNDERER] * f.launder_capacity * self.launder_access
        placed = np.minimum(f.launder_share * excess, capacity)
        fee = placed * np.minimum(f.launder_fee + self.launder_fee_add, 1.0)
        home = o.home
        aml = np.minimum(f.aml_detection * self.state_capacity[home] * self.aml_multiplier[home], 1.0)
        detected = (placed - fee) * aml
        o.cash -= placed
        o.laundered += placed - fee - detected
        self.aml_seized = float(detected.sum())
        self.criminal_costs = float(paid.sum() + fee.sum())
        self.criminal_payouts = float(payouts.sum())
        self.criminal_income = float(self.income_o.sum() + returns.sum())
        self.ledger.income += self.criminal_income
        self.ledger.outflow += self.criminal_costs + self.criminal_payouts
        self.ledger.seized += self.aml_seized
        self._adjust_shipments()

    def _adjust_shipments(self) -> None:
        """Shipments follow the gap between the import price and the chain's supply price:
        targets grow while the return on purchase and transport, valued at the import price,
        beats the importers' margin ``transport.hurdle_rate`` and shrink otherwise, within
        the logistics capacity."""
        t, o = self.pars.transport, self.orgs
        cost = self.purchase_oc + self.transport_oc
        with np.errstate(invalid="ignore", divide="ignore"):
            rate = np.where(cost > 0, (self.import_rev_oc - cost) / cost, 0.0)
        capacity = self._shipping_capacity(self.counts[:, :, Role.LOGISTICS].sum(axis=1))
        step = np.exp(t.supply_adjustment * np.clip(rate - t.hurdle_rate, -1.0, 1.0))
        target = np.where(cost > 0, o.ship_target * step, o.ship_target)
        o.ship_target[:] = np.clip(target, 0.05 * capacity, capacity)

    # ------------------------------------------------------------- 7 enforcement
    def _enforcement(self) -> None:
        e, w, o = self.pars.enforcement, self.world, self.orgs
        members_or = self.counts.sum(axis=2).astype(np.float64)
        regions = w.agency_regions.astype(np.float64)
        present = (regions @ members_or.T) > 0  # [A, O]
        investigators = self.agency_budget / e.investigator_cost
        weight = (o.threat ** self.pars.threat.targeting_exponent) * o.active * present
        weight = np.where(present & o.active, np.maximum(weight, 1e-9), 0.0)
        total = weight.sum(axis=1, keepdims=True)
        with np.errstate(invalid="ignore", divide="ignore"):
            assigned = np.where(total > 0, investigators[:, None] * weight / total, 0.0)
            if self.task_force.any():  # dedicated investigators, shared by agencies present
                n_present = present.sum(axis=0)
                assigned = assigned + np.where(n_present > 0, self.task_force / n_present, 0.0) * present
        self.investigators_ao = assigned
        intel = o.intel
        # in a scaled world each organization is `scale` times larger: it takes as many
        # times more investigator-weeks to learn as much about it
        intel += (e.intel_rate / self.scale) * assigned * (1.0 - intel) * (1.0 - self.protect_political) \
            - e.intel_decay * intel
        gap = np.maximum(intel[None, :, :] - intel[:, None, :], 0.0)  # [a, b, o]: b above a
        intel += min(e.share_rate + self.share_rate_add, 1.0) * (self.agency_partners[:, :, None] * gap).max(axis=1)
        np.clip(intel, 0.0, 1.0, out=intel)
        self.intel_or[:] = (intel[:, :, None] * regions[:, None, :]).max(axis=0)

        # hazards for this week's members step
        i = self.pars.interdiction
        exposure = _role_vector(e, "exposure_")  # leaders: 0, taken only by cases
        base = e.arrest_rate * self.enforcement_capacity[None, :] \
            * (1.0 + i.intel_gain * self.intel_or) * (1.0 - self.protect_seize)
        self.h_arrest[:] = base[:, :, None] * exposure[None, None, :] + self.extra_arrest[:, None, :]
        self.conviction = self.judicial_capacity[None, :] * (1.0 - self.protect_judicial)

        # cases mature into arrests of the leadership and asset seizures
        self.case_arrests = 0
        self.cases = 0
        self.case_seized = 0.0
        ripe = (intel[:, : o.n] > e.case_threshold) & o.active[None, : o.n]
        if not ripe.any():
            return
        rng = self.streams["enforcement"]
        draws = rng.random(ripe.shape)  # one per agency and organization in use (not per slot)
        m = self.members
        hit = ripe & (draws < e.case_rate * self.case_rate_mult[None, : o.n])
        for a, org in zip(*np.nonzero(hit), strict=True):
            self.cases += 1
            leader = o.leader[org]
            if leader >= 0 and m.status[leader] == Status.ACTIVE:
                m.status[leader] = Status.INCARCERATED
                m.release[leader] = self.week + int(2 * e.sentence_weeks)
                m.jail_add(np.array([leader]))
                self.counts[org, m.region[leader], m.role[leader]] -= 1
                self.leader_lost[org] = 1
                self.case_arrests += 1
            n_arrested, m.n_jail = arrest_members_of_role(
                rng, self.week, m.n, org, Role.LIEUTENANT,
                int(round(e.case_lieutenants * self.scale)), m.status, m.org, m.role, m.region,
                m.release, m.jail, m.n_jail, e.sentence_weeks, self.counts)
            self.case_arrests += n_arrested
            seized = e.case_asset_share * (max(o.cash[org], 0.0) + o.laundered[org])
            o.cash[org] -= e.case_asset_share * max(o.cash[org], 0.0)
            o.laundered[org] -= e.case_asset_share * o.laundered[org]
            self.case_seized += seized
            intel[a, org] *= 0.5
        self.ledger.seized += self.case_seized
        self.ledger.members_event(incarcerated=self.case_arrests)

    def _recount(self) -> None:
        m = self.members
        count_active(m.n, m.status, m.org, m.region, m.role, self.counts)

    # ------------------------------------------------------------- 8 conflict
    def _conflict(self) -> None:
        c, o = self.pars.conflict, self.orgs
        members_or = self.counts.sum(axis=2).astype(np.float64)
        m_o = members_or.sum(axis=1)
        lieut = self.counts[:, :, Role.LIEUTENANT].sum(axis=1)
        need = self.role_share[o.kind, Role.LIEUTENANT] * m_o
        with np.errstate(invalid="ignore", divide="ignore"):
            coord = np.where(need > 0, np.minimum(lieut / need, 1.0), 1.0)
            tot_r = members_or.sum(axis=0)
            share = np.where(tot_r > 0, members_or / tot_r, 0.0)
            ptot = self.prev_members_or.sum(axis=0)
            prev_share = np.where(ptot > 0, self.prev_members_or / ptot, 0.0)
            shift = np.where(m_o > 0, (np.abs(share - prev_share) * members_or).sum(axis=1) / m_o, 0.0)
        mlc = c.mid_level_coordination
        # the struggle is fiercest right after the leader falls and fades over the succession
        struggle = np.clip(o.succession / c.succession_weeks, 0.0, 1.0)
        intensity = (1.0 + c.succession_boost * struggle) \
            * (1.0 - mlc + mlc * coord) * (1.0 + c.power_shift_boost * shift)
        self.intensity_o = intensity
        if not hasattr(self, "_death_exposure"):
            self._death_exposure = _role_vector(c, "exposure_")
        lethality = 1.0 + c.arms_lethality * self.guns / self.world.population * 1000.0
        conflict_hazards(
            members_or, o.rivalry, o.alliance, c.rivalry_base, o.active, intensity,
            c.theta / self.scale,  # pairwise rate: keep per-member hazards in scaled worlds
            lethality, self._death_exposure, self.h_death, self.expected_deaths_r, self.kills_by_o,
        )

    # ------------------------------------------------------------- 9 members
    def _members(self) -> None:
        e, o, m = self.pars.enforcement, self.orgs, self.members
        h_exit = e.exit_rate * (1.0 + e.unpaid_exit_multiplier * o.stress)
        # hazards are rates; the kernel turns them into weekly probabilities 1 - exp(-h):
        # h_max bounds every member's event probability
        bound = float((self.h_arrest + self.h_death).max() + h_exit.max())
        h_max = float(-np.expm1(-bound)) if bound < np.inf else 1.0  # NaN: visit everyone
        m.n_jail = step_members(
            self.streams["members"], self.week, m.n, m.status, m.org, m.role, m.region,
            m.release, m.jail, m.n_jail, self.h_arrest, self.conviction, self.h_death, h_exit,
            h_max, e.sentence_weeks, e.return_prob, o.active, self.counts, self.arrests_or,
            self.deaths_or, self.member_events, self.leader_lost, o.leader, self.recruiter_pool,
        )
        ev = self.member_events
        self.ledger.members_event(incarcerated=int(ev[1]), died=int(ev[2]), exited=int(ev[3]),
                                  released=int(ev[4]), returned=int(ev[5]))
        deaths_r = self.deaths_or.sum(axis=0)
        self.bystanders_r = self.streams["conflict"].poisson(self.pars.conflict.bystander_ratio * deaths_r)
        self.homicides_r = deaths_r + self.bystanders_r
        self.violence_r[:] = self.homicides_r * 52.0 / self.world.population * 1e5

    # ------------------------------------------------------------- 10 leadership
    def _leadership(self) -> None:
        """Successions start when leaders fall. The struggle starts with the fall (C15, P15,
        LP18): while a succession runs, the organization splits with a weekly hazard
        proportional to its lost cohesion, which is lowest right after the removal and then
        recovers, so splits cluster in the first months; at most one split per succession.
        The succession ends after succession_weeks with the promotion of a new leader."""
        c, o, m = self.pars.conflict, self.orgs, self.members
        rng = self.streams["leadership"]
        self.removals = int(self.leader_lost.sum())
        for org in np.nonzero(self.leader_lost)[0]:
            o.leader[org] = -1
            o.succession[org] = int(c.succession_weeks)
            o.split_done[org] = False
            o.cohesion[org] *= 1.0 - c.cohesion_shock
        self.leader_lost[:] = 0
        o.cohesion += c.cohesion_recovery * (1.0 - o.cohesion)
        self.n_splits = 0
        split_any = False
        # weekly split probability: over a whole succession at zero cohesion it adds up to
        # split_prob; (1 - cohesion) scales the weekly hazard
        log_keep = np.log1p(-min(c.split_prob, 1.0 - 1e-12)) / c.succession_weeks
        for org in np.nonzero((o.succession > 0) & o.active)[0]:
            size = self.counts[org].sum()
            if not o.split_done[org] and size >= 20 * self.scale:
                p = -np.expm1(log_keep * (1.0 - o.cohesion[org]))
                if rng.random() < p:
                    self._split(org, rng)
                    o.split_done[org] = True
                    split_any = True
            o.succession[org] -= 1
            if o.succession[org] > 0:
                continue
            o.leader[org] = promote_leader(m.n, m.status, m.org, m.role, m.region, m.joined,
                                           org, self.counts)
        if split_any:
            self._recount()

    def _split(self, org: int, rng) -> None:
        """The organization splits: a rival fragment takes each active member with
        probability split_share, in every region where the organization operates, so the
        fragment fights its parent wherever both are present. Jailed members stay."""
        o, m, c = self.orgs, self.members, self.pars.conflict
        if o.n == o.capacity:
            self._grow_orgs()
        new = o.n
        o.n += 1
        n_frag = sum(1 for p in o.parent[:new] if p == org) + 1
        o.names.append(f"{o.names[org]} faction {n_frag}")
        regions = self.counts[org].sum(axis=1) > 0
        share_r = np.where(regions, c.split_share, 0.0)
        before = self.counts[org].sum() + 0.0
        moved = split_members(rng, m.n, m.status, m.org, m.region, org, new, share_r)
        frac = moved / max(before, 1.0)
        for name in ("kind", "home", "trades", "origin", "risk_ev", "risk_tr"):
            getattr(o, name)[new] = getattr(o, name)[org]
        o.active[new] = True
        o.parent[new] = org
        o.cohesion[new] = 0.5
        o.cash[new] = frac * max(o.cash[org], 0.0)
        o.cash[org] -= o.cash[new]
        o.role_memory[new] = frac * o.role_memory[org]  # the fragment remembers its share
        o.role_memory[org] *= 1.0 - frac
        o.ship_target[new] = frac * o.ship_target[org]
        o.ship_target[org] *= 1.0 - frac
        o.base_presence[new] = o.base_presence[org] * share_r
        if o.base_presence[new].sum() > 0:
            o.base_presence[new] /= o.base_presence[new].sum()
        o.rivalry[new, :] = o.rivalry[org, :]
        o.rivalry[:, new] = o.rivalry[:, org]
        o.alliance[new, :] = 0.5 * o.alliance[org, :]
        o.alliance[:, new] = 0.5 * o.alliance[:, org]
        o.rivalry[new, org] = o.rivalry[org, new] = c.split_rivalry
        o.alliance[new, org] = o.alliance[org, new] = 0.0
        o.intel[:, new] = o.intel[:, org]
        for name in ("h_arrest", "h_death", "conviction", "intel_or"):  # this week's exposure
            a = getattr(self, name)
            a[new] = a[org]
        o.threat[new] = o.threat[org] * frac
        self._recount()  # members moved between organizations
        o.leader[new] = promote_leader(m.n, m.status, m.org, m.role, m.region, m.joined, new,
                                       self.counts)
        self.n_splits += 1

    # ------------------------------------------------------------- 11 recruitment
    def _recruit(self) -> None:
        r, o, m, w = self.pars.recruitment, self.orgs, self.members, self.world
        members_or = self.counts.sum(axis=2).astype(np.float64)
        total_r = members_or.sum(axis=0)
        # the recruitable pool: at-risk people (saturation x residents) not reached by
        # prevention programmes. Recruiters meet at-risk people at random: a share
        # recruitable_share of those contacts can still be recruited, and recruitment
        # saturates against the smaller pool
        share = self.recruitable_share
        pool = r.saturation * w.population * share
        with np.errstate(invalid="ignore", divide="ignore"):
            sat = share * np.where(pool > 0, np.clip(1.0 - total_r / pool, 0.0, 1.0), 0.0)
        attract = (r.reference_wage / self.legit_wage) ** r.wage_elasticity
        with np.errstate(invalid="ignore", divide="ignore"):
            # an organization hires while it can pay: cash for four weeks of wages, and an
            # income (moving average) that covers the wage bill it already has
            health = np.where(self.wages_o > 0, np.clip(np.minimum(
                o.cash / (4.0 * self.wages_o), o.revenue / self.wages_o), 0.0, 1.0), 1.0)
            flow = self.org_region_flow
            fsum = flow.sum(axis=1, keepdims=True)
            route = np.where(fsum > 0, flow / fsum, o.base_presence)
        target = np.where((o.kind == OrgKind.CARTEL)[:, None], 0.5 * o.base_presence + 0.5 * route,
                          o.base_presence)
        m_o = members_or.sum(axis=1)
        # replacement (D14): organizations refill each role up to the headcount they remember
        # (recent peak, forgotten over replacement_memory weeks), on top of the proportional
        # rate; a scarce role (skills, trust: launderers, traffickers) is refilled slower,
        # at replacement_rate times its fill share. Recruits take the role furthest below
        # its share, so refilled roles are the missing ones.
        by_role = self.counts.sum(axis=1)
        # the remembered headcount tracks growth at once and forgets a loss over
        # replacement_memory weeks (the gap, not the level, decays)
        o.role_memory[:] = np.maximum(
            by_role, o.role_memory - (o.role_memory - by_role) / r.replacement_memory)
        if not hasattr(self, "_role_fill"):
            self._role_fill = np.ones(by_role.shape[1])
            self._role_fill[Role.LAUNDERER] = r.fill_launderer
            self._role_fill[Role.LOGISTICS] = r.fill_logistics
            self._role_fill[Role.LEADER] = 0.0  # leaders are promoted, not recruited
        gap = np.maximum(o.role_memory - by_role, 0.0) @ np.minimum(self._role_fill, 1.0)
        self.replacement_gap = gap
        drive = (r.rate * m_o + r.replacement_rate * gap) * health * o.active
        lam = drive[:, None] * target * (attract * sat)[None, :]
        new_or = self.streams["recruitment"].poisson(lam)
        n_new = int(new_or.sum())
        self.recruits = n_new
        if n_new == 0:
            return
        m.ensure(n_new)
        counts_ok = self.counts.sum(axis=1)
        m.n = recruit(
            self.streams["recruitment"], self.week, m.n, new_or, self.role_share, o.kind,
            counts_ok, self.counts, m.status, m.org, m.role, m.region, m.joined, m.release,
            m.ties, self.recruiter_pool, int(r.ties_per_recruit), o.role_memory,
            self._role_fill,
        )
        self.ledger.members_event(recruited=n_new)

    # ------------------------------------------------------------- 12 bookkeeping
    def _bookkeeping(self) -> None:
        o, _w, t = self.orgs, self.world, self.week
        members_or = self.counts.sum(axis=2).astype(np.float64)
        m_o = members_or.sum(axis=1)
        gone = o.active & (m_o == 0)
        if gone.any():
            self.ledger.abandoned += float(o.cash[gone].sum() + o.laundered[gone].sum())
            o.cash[gone] = 0.0
            o.laundered[gone] = 0.0
            o.active[gone] = False
        self._threat_scores(members_or, m_o)
        if t >= 0:  # spin-up weeks (t < 0) are not reported
            self._record(members_or, m_o)
        self.prev_members_or[:] = members_or
        if self.checks:
            problems = self.ledger.check(self)
            if problems:
                from .model import ConservationError

                raise ConservationError(f"week {t}: " + "; ".join(problems))

    def _threat_scores(self, members_or, m_o) -> None:
        """Threat score (documented in docs/ODD.md): weighted sum of violence, revenue,
        corruption reach, transnational reach, and firearms/human trafficking, each scaled by
        its maximum over active organizations."""
        o, _w, th = self.orgs, self.world, self.pars.threat
        o.kills[:] = (1 - EMA) * o.kills + EMA * self.kills_by_o
        o.revenue[:] = (1 - EMA) * o.revenue + EMA * self.income_o
        other = ~(np.arange(self.C) == 0)
        arms = (self.revenue_oc[:, other]).sum(axis=1) if other.any() else 0.0
        o.arms_people[:] = (1 - EMA) * o.arms_people + EMA * arms
        corrupt = self.corrupt_otr.sum(axis=(1, 2)).astype(np.float64)
        with np.errstate(invalid="ignore", divide="ignore"):
            reach = (members_or > 0.01 * m_o[:, None]).sum(axis=1) / self.R

        def scaled(x):
            x = np.where(o.active, x, 0.0)
            top = x.max()
            return x / top if top > 0 else x

        o.threat[:] = (th.w_violence * scaled(o.kills) + th.w_revenue * scaled(o.revenue)
                       + th.w_corruption * scaled(corrupt) + th.w_reach * scaled(reach)
                       + th.w_arms_people * scaled(o.arms_people)) * o.active

    def _record(self, members_or, m_o) -> None:
        w, o, t = self.world, self.orgs, self.week
        sold0 = self.sold[0]
        arrivals0 = self.arrivals_ocr[:, 0, :]
        arr_r = arrivals0.sum(axis=0)
        mk = w.demand_ref[0] > 0
        wts = sold0[mk] if sold0[mk].sum() > 0 else w.demand_ref[0][mk]
        retail = float((self.retail_price[0][mk] * wts).sum() / wts.sum())
        wholesale = float((self.wholesale_price[0][mk] * wts).sum() / wts.sum())
        import_p = float((self.import_price[0][mk] * wts).sum() / wts.sum())
        src = w.origin_price[0] > 0
        export_p = (float(self.purchase_oc[:, 0].sum() / self.shipped[0]) if self.shipped[0] > 0
                    else float(w.origin_price[0][src].mean()))
        deliveries = arrivals0.sum(axis=1)
        tot = deliveries.sum()
        hhi = float(((deliveries / tot) ** 2).sum()) if tot > 0 else 0.0
        transit = (w.region_roles & ROLE_TRANSIT) != 0
        route_nodes = int(((self.transit_flow_cr[0] > 0) & transit).sum())
        src_price = w.origin_price[0][w.origin_price[0] > 0].mean()
        active = o.active
        row = {
            "retail_price": retail,
            "wholesale_price": wholesale,
            "import_price": import_p,
            "export_price": export_p,
            "source_price": self.pars.market.source_share * export_p,
            "consumption": float(sold0.sum()),
            "supply_shipped": float(self.shipped[0]),
            "seizures": float(self.seized_cr[0].sum()),
            "criminal_revenue": self.criminal_income,
            "criminal_wealth": float((o.cash[active] + o.laundered[active]).sum()),
            "laundered_assets": float(o.laundered[active].sum()),
            "frozen_assets": float(o.frozen.sum()),
            "active_cartels": int((active & (o.kind == OrgKind.CARTEL)).sum()),
            "active_gangs": int((active & (o.kind == OrgKind.GANG)).sum()),
            "criminal_members": int(self.ledger.active),
            "recruits": self.recruits,
            "arrests": int(self.member_events[0]) + self.case_arrests + self.intervention_arrests,
            "incarcerated": int(self.ledger.incarcerated),
            "homicides": int(self.homicides_r.sum()),
            "corruption_rate": float((self.officials.patron >= 0).mean()),
            "enforcement_spend": float(self.agency_budget.sum() + self.intervention_cost),
            "market_hhi": hhi,
            "route_nodes": route_nodes,
            "intervention_cost": float(self.intervention_cost),
            "seizure_rate": float(self.seized_cr[0].sum() / self.shipped[0]) if self.shipped[0] > 0 else 0.0,
            "markup": retail / src_price,
            "members_killed": int(self.deaths_or.sum()),
            "bystanders_killed": int(self.bystanders_r.sum()),
            "officials_caught": int(self.official_events[2]),
            "leader_removals": self.removals,
            "splits": self.n_splits,
            "cases_matured": self.cases,
            "criminal_costs": self.criminal_costs,
            "criminal_payouts": self.criminal_payouts,
            "aml_seized": self.aml_seized,
            "case_assets_seized": self.case_seized,
        }
        vals = list(row.values())
        for c in range(1, self.C):
            mkc = w.demand_ref[c] > 0
            sc = self.sold[c][mkc]
            wc = sc if sc.sum() > 0 else w.demand_ref[c][mkc]
            vals += [float(self.shipped[c]), float(self.seized_cr[c].sum()), float(self.sold[c].sum()),
                     float((self.retail_price[c][mkc] * wc).sum() / wc.sum())]
        self.metrics[t] = vals
        reg = self.region_metrics[t]
        reg[:, 0] = self.transit_flow_cr[0] + arr_r
        reg[:, 1] = self.seized_cr[0]
        reg[:, 2] = self.homicides_r
        reg[:, 3] = self.corrupt_share_r
        reg[:, 4] = np.where(mk, self.retail_price[0], np.nan)
        reg[:, 5] = members_or.sum(axis=0)
        reg[:, 6] = self.guns / w.population * 1000.0
