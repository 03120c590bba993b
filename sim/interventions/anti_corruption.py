"""Anti-corruption: vetting and integrity units find and remove corrupt officials."""

from ..enums import OfficialType
from ..params import Param
from ._common import saturating
from .base import Intervention


class AntiCorruption(Intervention):
    """Integrity units, vetting, asset declarations and prosecutions of corrupt officials.

    Intensity is million USD/week, split over the target regions. With m million USD/week in
    a region, g = 1 - exp(-efficiency * m): the weekly probability that a corrupt official is
    caught (and replaced by a vetted hire) is multiplied by ``1 + detection_gain * g``, the
    penalty an official expects by ``1 + penalty_gain * g`` (deterring new acceptances), and
    political officials allied with an organization are pursued first: their detection is
    multiplied again by ``1 + political_focus``.
    """

    type = "anti_corruption"
    unit = "million USD/week"
    unit_cost = 1e6
    unit_cost_source = "definition (intensity = budget in million USD/week)"
    params = {
        "efficiency": Param(0.5, "per (million USD/week per region)", 0.0, 10.0, "assumption",
                            "how fast money buys integrity capacity"),
        "detection_gain": Param(4.0, "x detection", 0.0, 100.0, "assumption; H00",
                                "largest rise in the detection of corrupt officials"),
        "penalty_gain": Param(1.0, "x penalty", 0.0, 100.0, "assumption",
                              "largest rise in the penalty officials expect"),
        "political_focus": Param(1.0, "x detection", 0.0, 100.0, "assumption",
                                 "extra detection of corrupt political officials"),
    }

    def setup(self, model) -> None:
        self.n = max(int(self.region_mask.sum()), 1)

    def act(self, model, t, level):
        g = saturating(self.p["efficiency"] * level / self.n)
        m = self.region_mask
        model.detection_multiplier[m] *= 1.0 + self.p["detection_gain"] * g
        model.penalty_mult[m] *= 1.0 + self.p["penalty_gain"] * g
        model.detect_type_mult[OfficialType.POLITICAL, m] *= 1.0 + self.p["political_focus"] * min(g, 1.0)


LEVER = AntiCorruption
