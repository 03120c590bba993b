"""Capacity building: enforcement, courts, pay and vetting in partner regions."""

import numpy as np

from ..params import Param
from ._common import saturating
from .base import Intervention


class CapacityBuilding(Intervention):
    """Training, equipment, judicial reform, better pay and vetting in partner regions.

    Intensity is million USD/week, split evenly over the target regions. With m million
    USD/week in a region, g = 1 - exp(-efficiency * m); enforcement capacity rises by
    ``enforcement_gain * g``, the judicial conviction rate by ``judicial_gain * g`` (at most 1),
    officials' pay by ``pay_gain * g`` (a bribe of the same size tempts less) and the mean
    integrity of newly hired officials by ``vetting_gain * g``. Gains ramp up over
    ``ramp_weeks`` and, by default, decay at ``decay_rate`` per week after funding ends.
    """

    type = "capacity_building"
    unit = "million USD/week"
    unit_cost = 1e6
    unit_cost_source = "definition (intensity = budget in million USD/week)"
    default_after_end = "decay"
    needs_targets = ("regions",)
    params = {
        "efficiency": Param(0.5, "per (million USD/week per region)", 0.0, 10.0, "assumption",
                            "how fast money buys capacity"),
        "enforcement_gain": Param(0.5, "capacity index", 0.0, 5.0, "assumption",
                                  "largest rise in enforcement capacity"),
        "judicial_gain": Param(0.3, "conviction probability", 0.0, 1.0, "assumption",
                               "largest rise in the conviction rate"),
        "pay_gain": Param(0.5, "share of salary", 0.0, 5.0, "assumption",
                          "largest rise in officials' pay"),
        "vetting_gain": Param(0.15, "integrity", 0.0, 0.7, "assumption",
                              "largest rise in new officials' mean integrity"),
    }

    def setup(self, model) -> None:
        self.n = max(int(self.region_mask.sum()), 1)

    def act(self, model, t, level):
        g = saturating(self.p["efficiency"] * level / self.n)
        m = self.region_mask
        model.enforcement_capacity[m] += self.p["enforcement_gain"] * g
        model.judicial_capacity[m] = np.minimum(model.judicial_capacity[m] + self.p["judicial_gain"] * g, 1.0)
        model.pay_mult[m] += self.p["pay_gain"] * g
        model.integrity_boost[m] += self.p["vetting_gain"] * g


LEVER = CapacityBuilding
