"""Demand reduction: prevention and treatment lower demand in consumer regions over time."""


from ..params import Param
from ._common import LaggedEffect, LaggedLever, population_dose, saturating_array
from .base import Intervention


class DemandReduction(LaggedLever, Intervention):
    """Prevention and treatment programmes in consumer regions.

    Intensity is million USD/week, spread over the target regions by population. In a region
    with P hundred million residents receiving m million USD/week, the target cut in the
    reference demand of dealer-sold commodities (the drug market) is
    ``max_reduction * (1 - exp(-efficiency * m / P))``; demand moves toward it by 1/lag_weeks
    per week (treatment and prevention act slowly) and back when funding ends.
    """

    type = "demand_reduction"
    unit = "million USD/week"
    unit_cost = 1e6
    unit_cost_source = "definition (intensity = budget in million USD/week)"
    default_after_end = "stop"
    params = {
        "max_reduction": Param(0.35, "share of demand", 0.0, 1.0,
                               "assumption (treatment effects in the literature: 10-40%)",
                               "largest cut in demand that programmes can reach"),
        "efficiency": Param(0.05, "per (million USD/week per 100M residents)", 0.0, 10.0,
                            "assumption", "how fast money buys demand reduction"),
        "lag_weeks": Param(26.0, "weeks", 1.0, 520.0, "assumption", "time for effects to build"),
    }

    def setup(self, model) -> None:
        w = model.world
        consumer = (w.demand_ref[w.retail_by_dealers].sum(axis=0) > 0)
        self.regions = self.region_mask & consumer
        self.effect = LaggedEffect(w.n_regions, self.p["lag_weeks"])
        self.retail = w.retail_by_dealers

    def act(self, model, t, level):
        dose = population_dose(level, self.regions, model.world.population, 1e8)
        self._push(model, self.p["max_reduction"] * saturating_array(self.p["efficiency"] * dose))

    def _push(self, model, target):
        cut = self.effect.update(target)
        model.demand_ref[self.retail] *= (1.0 - cut)[None, :]


LEVER = DemandReduction
