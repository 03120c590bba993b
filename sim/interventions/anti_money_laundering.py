"""Anti-money-laundering: detection in target regions' financial systems."""

from ..params import Param
from .base import Intervention


class AntiMoneyLaundering(Intervention):
    """Public-private partnerships, suspicious-activity reporting and financial intelligence
    units in the target regions' financial systems.

    Intensity is million USD/week, split over the target regions. Each million per region
    multiplies the share of laundered flow detected (and seized) by
    ``1 + detection_gain_per_million``; organizations launder through their home region.
    Baseline detection is tiny (Pol20: under 0.1% of criminal finances), so even large
    multipliers seize little: the model lets analysts see that.
    """

    type = "anti_money_laundering"
    unit = "million USD/week"
    unit_cost = 1e6
    unit_cost_source = "definition (intensity = budget in million USD/week)"
    params = {
        "detection_gain_per_million": Param(3.0, "x detection per (million USD/week per region)",
                                            0.0, 1000.0, "assumption; Pol20",
                                            "rise in AML detection bought by one million USD/week"),
    }

    def setup(self, model) -> None:
        self.n = max(int(self.region_mask.sum()), 1)

    def act(self, model, t, level):
        model.aml_multiplier[self.region_mask] *= 1.0 + self.p["detection_gain_per_million"] * level / self.n


LEVER = AntiMoneyLaundering
