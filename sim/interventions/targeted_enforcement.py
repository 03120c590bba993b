"""Targeted enforcement: investigators against organizations, by strategy."""

import numpy as np

from ..enums import Role, Status
from ..params import Param
from .base import Intervention

STRATEGIES = ("kingpin", "mid_level", "network", "most_violent", "random")


class TargetedEnforcement(Intervention):
    """Investigators and arrest teams against chosen organizations.

    Intensity is million USD/week; it pays ``1e6 / investigator_cost`` investigators per
    million, who make ``arrests_per_investigator`` arrests per week between them, aimed by
    ``strategy`` at the target organizations (default: the top 3 by threat score):

    - ``kingpin``: the investigators join the agencies' task force on the targets (intelligence
      builds faster) and cases against the leadership mature ``case_boost`` times faster per
      million; no street arrests. Leader removal starts a succession (and perhaps a split).
    - ``mid_level``: arrests fall on lieutenants and traffickers (half each).
    - ``network``: each week the most central active members of the targets (most ties to
      active members) are arrested directly, as many as the arrest capacity allows.
    - ``most_violent``: targets are re-ranked by the killings attributed to them; arrests fall
      on their enforcers.
    - ``random``: arrests fall evenly on the targets' members.
    """

    type = "targeted_enforcement"
    unit = "million USD/week"
    unit_cost = 1e6
    unit_cost_source = "definition (intensity = budget in million USD/week)"
    choices = {"strategy": STRATEGIES}  # string fields: the first value is the default
    params = {
        "arrests_per_investigator": Param(0.01, "arrests/investigator/week", 0.0, 1.0,
                                          "assumption", "arrest productivity of investigators"),
        "case_boost": Param(1.0, "x case rate per million USD/week", 0.0, 100.0, "assumption",
                            "kingpin: faster maturing of cases against the leadership"),
    }

    def setup(self, model) -> None:
        if not self.targets:
            self.targets = {"top_n": 3}

    def act(self, model, t, level):
        e = model.pars.enforcement
        investigators = level * 1e6 / e.investigator_cost
        arrests = investigators * self.p["arrests_per_investigator"]
        if self.strategy == "most_violent":
            mask = self.target_orgs_by_violence(model)
        else:
            mask = self.target_orgs(model)
        if not mask.any():
            return
        n_t = int(mask.sum())
        if self.strategy == "kingpin":
            model.task_force[mask] += investigators / n_t
            model.case_rate_mult[mask] *= 1.0 + self.p["case_boost"] * level
            return
        if self.strategy == "network":
            self._arrest_central(model, mask, self.rng.poisson(arrests))
            return
        roles = {"mid_level": {Role.LIEUTENANT: 0.5, Role.LOGISTICS: 0.5},
                 "most_violent": {Role.ENFORCER: 1.0}}.get(self.strategy)
        by_role = model.counts[mask].sum(axis=(0, 1)).astype(float)
        if roles is None:  # random: the same hazard for every non-leader member
            n = by_role[1:].sum()
            if n > 0:
                model.extra_arrest[np.ix_(mask, np.arange(1, by_role.size))] += arrests / n
            return
        for role, share in roles.items():
            if by_role[role] > 0:
                model.extra_arrest[mask, role] += min(arrests * share / by_role[role], 1.0)

    def target_orgs_by_violence(self, model):
        o = model.orgs
        base = dict(self.targets)
        top = base.pop("top_n", None)
        from .base import org_mask

        mask = org_mask(base, model)
        if top:
            score = np.where(mask, o.kills, -np.inf)
            keep = np.zeros_like(mask)
            keep[np.argsort(-score, kind="stable")[: int(top)]] = True
            mask &= keep
        return mask

    def _arrest_central(self, model, mask, n):
        """Arrest the ``n`` most central active members of the targets; courts convict them
        as any arrest (conviction[o, r])."""
        if n <= 0:
            return
        m = model.members
        idx = np.nonzero((m.status[: m.n] == Status.ACTIVE) & mask[m.org[: m.n]])[0]
        if idx.size == 0:
            return
        ties = m.ties[idx]
        valid = ties >= 0
        degree = (valid & (m.status[np.where(valid, ties, 0)] == Status.ACTIVE)).sum(axis=1)
        order = np.lexsort((idx, -degree))  # most ties first, then lowest index (deterministic)
        model.arrest_members(idx[order[:n]], rng=self.rng)


LEVER = TargetedEnforcement
