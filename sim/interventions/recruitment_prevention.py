"""Recruitment prevention: programmes reach at-risk people and raise legitimate opportunity."""

import numpy as np

from ..params import Param
from ._common import LaggedEffect, LaggedLever, population_dose, saturating_array
from .base import Intervention


class RecruitmentPrevention(LaggedLever, Intervention):
    """Programmes (jobs, schooling, mentoring, violence interruption) for young people at risk
    in target regions (PC23: reducing recruitment is the lever that lowers violence;
    PROTON-OC: prevention lowers membership).

    Intensity is million USD/week. Two channels:

    * **Reach** (who can be recruited). The budget pays for ``level * 1e6 / cost_per_person``
      participants a week, spread over the target regions by their at-risk population
      (``recruitment.saturation`` times residents, the people crime can enlist). The share of
      a region's at-risk people reached, at most ``max_reach``, leaves the recruitable pool:
      recruitment there saturates against ``(1 - reached) * saturation * population``
      (ODD 7.11). Enrolment builds, and fades after funding ends, over ``lag_weeks``.
    * **Opportunity** (the legitimate wage). In a region with P ten-million residents
      receiving m million USD/week, the legitimate wage that recruits weigh rises by
      ``max_uplift * (1 - exp(-efficiency * m / P))``, with the same lag; the recruitment
      rate falls as (reference_wage / wage) ** wage_elasticity.
    """

    type = "recruitment_prevention"
    unit = "million USD/week"
    unit_cost = 1e6
    unit_cost_source = "definition (intensity = budget in million USD/week)"
    params = {
        "cost_per_person": Param(25.0, "USD/person reached/week", 1.0, 1000.0,
                                 "assumption (youth programmes cost roughly 1,000-2,000 USD "
                                 "per participant a year)",
                                 "cost of keeping one at-risk person in a programme for a week"),
        "max_reach": Param(0.8, "share of at-risk people", 0.0, 1.0, "assumption",
                           "largest share of a region's at-risk people programmes can reach"),
        "max_uplift": Param(0.6, "share of legitimate wage", 0.0, 5.0, "assumption",
                            "largest rise in the legitimate opportunity programmes can reach"),
        "efficiency": Param(0.3, "per (million USD/week per 10M residents)", 0.0, 10.0,
                            "assumption", "how fast money buys opportunity"),
        "lag_weeks": Param(26.0, "weeks", 1.0, 520.0, "assumption", "time for effects to build"),
    }

    def setup(self, model) -> None:
        R = model.world.n_regions
        self.effect = LaggedEffect(2 * R, self.p["lag_weeks"])  # [wage uplift, reach]
        self.at_risk = model.pars.recruitment.saturation * model.world.population
        self.reached_people = 0.0  # this week's participants (people)

    def act(self, model, t, level):
        dose = population_dose(level, self.region_mask, model.world.population, 1e7)
        uplift = self.p["max_uplift"] * saturating_array(self.p["efficiency"] * dose)
        people = level * 1e6 / self.p["cost_per_person"]
        at_risk = np.where(self.region_mask, self.at_risk, 0.0)
        total = at_risk.sum()
        share = np.zeros_like(at_risk)
        if total > 0:
            share = np.minimum(people * at_risk / total / np.maximum(self.at_risk, 1e-12),
                               self.p["max_reach"])
        self._push(model, np.concatenate([uplift, np.where(self.region_mask, share, 0.0)]))

    def _push(self, model, target):
        value = self.effect.update(target)
        R = model.world.n_regions
        model.legit_wage *= 1.0 + value[:R]
        model.recruitable_share *= 1.0 - value[R:]
        self.reached_people = float((value[R:] * self.at_risk).sum())


LEVER = RecruitmentPrevention
