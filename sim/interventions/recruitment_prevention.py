"""Recruitment prevention: raise legitimate opportunity for the recruitable population."""


from ..params import Param
from ._common import LaggedEffect, LaggedLever, population_dose, saturating_array
from .base import Intervention


class RecruitmentPrevention(LaggedLever, Intervention):
    """Programmes (jobs, schooling, violence interruption) that raise the legitimate
    opportunity of young people in target regions (PC23: reducing recruitment is the lever
    that lowers violence; PROTON-OC: prevention lowers membership).

    Intensity is million USD/week, spread over target regions by population. In a region with
    P ten-million residents receiving m million USD/week, the legitimate wage that recruits
    weigh rises by ``max_uplift * (1 - exp(-efficiency * m / P))``, reached with a lag; the
    recruitment rate falls as (reference_wage / wage) ** wage_elasticity.
    """

    type = "recruitment_prevention"
    unit = "million USD/week"
    unit_cost = 1e6
    unit_cost_source = "definition (intensity = budget in million USD/week)"
    params = {
        "max_uplift": Param(0.6, "share of legitimate wage", 0.0, 5.0, "assumption",
                            "largest rise in the legitimate opportunity programmes can reach"),
        "efficiency": Param(0.3, "per (million USD/week per 10M residents)", 0.0, 10.0,
                            "assumption", "how fast money buys opportunity"),
        "lag_weeks": Param(26.0, "weeks", 1.0, 520.0, "assumption", "time for effects to build"),
    }

    def setup(self, model) -> None:
        self.effect = LaggedEffect(model.world.n_regions, self.p["lag_weeks"])

    def act(self, model, t, level):
        dose = population_dose(level, self.region_mask, model.world.population, 1e7)
        self._push(model, self.p["max_uplift"] * saturating_array(self.p["efficiency"] * dose))

    def _push(self, model, target):
        model.legit_wage *= 1.0 + self.effect.update(target)


LEVER = RecruitmentPrevention
