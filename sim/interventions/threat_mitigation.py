"""Threat mitigation: the Strategy's Threat Mitigation Working Group."""

import numpy as np

from ..params import Param
from .anti_corruption import AntiCorruption
from .base import Intervention
from .interdiction import Interdiction
from .sanctions import Sanctions
from .targeted_enforcement import STRATEGIES, TargetedEnforcement


class ThreatMitigation(Intervention):
    """Whole of government against the top threats.

    Every ``review_weeks`` the working group ranks the active organizations by threat score
    (documented in docs/ODD.md: violence, revenue, corruption reach, transnational reach,
    firearms and human trafficking) and picks the top ``top_k``. Its budget (million
    USD/week) is split over a bundle of levers aimed at them: sanctions (designation of the
    chosen, renewed at each review), targeted enforcement (``strategy``), interdiction on the
    corridors into the transit and consumer regions their shipments cross, and
    anti-corruption in the regions where they have members. Each part acts exactly as the
    stand-alone lever with that share of the budget (the sanctions part spends at most the
    full sanctions programme, the rest goes to enforcement; reviews designate newcomers to the
    top and keep earlier designations); the bundle shifts as the ranking changes.
    """

    type = "threat_mitigation"
    unit = "million USD/week"
    unit_cost = 1e6
    unit_cost_source = "definition (intensity = budget in million USD/week)"
    choices = {"strategy": STRATEGIES}
    params = {
        "review_weeks": Param(13, "weeks", 1, 520, "assumption (quarterly reviews)",
                              "weeks between re-rankings", int),
        "top_k": Param(3, "organizations", 1, 100, "assumption", "organizations targeted", int),
        "share_sanctions": Param(0.1, "share of budget", 0.0, 1.0, "assumption", "budget to sanctions"),
        "share_enforcement": Param(0.4, "share of budget", 0.0, 1.0, "assumption",
                                   "budget to targeted enforcement"),
        "share_interdiction": Param(0.3, "share of budget", 0.0, 1.0, "assumption",
                                    "budget to interdiction on their routes"),
        "share_anti_corruption": Param(0.2, "share of budget", 0.0, 1.0, "assumption",
                                       "budget to anti-corruption where they operate"),
    }

    @classmethod
    def check(cls, entry, world, where, weeks):
        errs = super().check(entry, world, where, weeks)
        shares = [entry.get(k, cls.params[k].default) for k in cls.params if k.startswith("share_")]
        if all(isinstance(s, int | float) for s in shares) and abs(sum(shares) - 1.0) > 1e-9:
            errs.append(f"{where}: share_* must sum to 1, got {sum(shares):g}")
        return errs

    def setup(self, model) -> None:
        base = {"start_week": self.start, "intensity": 1.0}
        self.sanctions = Sanctions({**base, "type": "sanctions", "name": f"{self.name}/sanctions"}, 0, model)
        self.sanctions.refreeze = False  # reviews designate newcomers; designations persist
        self.enforcement = TargetedEnforcement(
            {**base, "type": "targeted_enforcement", "strategy": self.strategy,
             "targets": {"organizations": []}}, 0, model)
        self.interdiction = Interdiction({**base, "type": "interdiction", "targets": {"regions": ["transit"]}}, 0, model)
        self.corruption = AntiCorruption({**base, "type": "anti_corruption"}, 0, model)
        self.chosen = None
        self.history: list[tuple[int, list[str]]] = []

    def _review(self, model, t) -> None:
        o, w = model.orgs, model.world
        score = np.where(o.active, o.threat, -np.inf)
        order = np.argsort(-score, kind="stable")[: int(self.p["top_k"])]
        chosen = np.zeros(o.capacity, np.bool_)
        chosen[order[np.isfinite(score[order])]] = True
        self.chosen = chosen
        names = [o.names[i] for i in np.nonzero(chosen)[0]]
        self.history.append((t, names))
        for sub in (self.sanctions, self.enforcement):
            sub.rng = self.rng
        self.sanctions.targets = {"organizations": names}
        self.sanctions.start = t  # (re)designation now
        self.enforcement.targets = {"organizations": names}
        flow = model.org_region_flow[chosen[: model.org_region_flow.shape[0]]].sum(axis=0)
        origins = np.zeros(w.n_regions, np.bool_)
        origins[o.origin[chosen][o.origin[chosen] >= 0]] = True
        self.interdiction.region_mask = (flow > 0) & ~origins
        self.interdiction.edge_mask = np.zeros(w.n_edges, np.bool_)
        self.interdiction.targets = {"regions": ["(routes of the top threats)"]}
        self.interdiction.setup(model)
        self.corruption.region_mask = model.counts[chosen].sum(axis=(0, 2)) > 0
        self.corruption.setup(model)

    def act(self, model, t, level):
        if self.chosen is None or (t - self.start) % int(self.p["review_weeks"]) == 0:
            self._review(model, t)
        if not self.chosen.any():
            return
        p = self.p
        # sanctions cannot absorb more than the full programme; the rest goes to enforcement
        sanctions_money = min(p["share_sanctions"] * level * self.unit_cost, Sanctions.unit_cost)
        sanction_level = sanctions_money / Sanctions.unit_cost
        unspent = (p["share_sanctions"] * level * self.unit_cost - sanctions_money) / self.unit_cost
        if sanction_level > 0:
            self.sanctions.act(model, t, sanction_level)
        if p["share_enforcement"] > 0 or unspent > 0:
            self.enforcement.act(model, t, p["share_enforcement"] * level + unspent)
        if p["share_interdiction"] > 0 and self.interdiction.edges.any():
            self.interdiction.act(model, t, p["share_interdiction"] * level)
        if p["share_anti_corruption"] > 0 and self.corruption.region_mask.any():
            self.corruption.act(model, t, p["share_anti_corruption"] * level)


LEVER = ThreatMitigation
