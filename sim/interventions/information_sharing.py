"""Information sharing: link agencies so intelligence flows and cases cross borders."""

from ..params import Param
from .base import Intervention


class InformationSharing(Intervention):
    """Joint task forces, liaison officers and shared databases.

    Intensity runs from 0 to 1 (share of full integration), costed at ``unit_cost`` per week.
    While active every agency becomes a partner of every other and the weekly share of a
    partner's better intelligence that is passed on rises by ``share_gain * intensity``.
    Intelligence on an organization from any agency then raises seizure and arrest hazards
    in every region where some agency holds it, and cases mature sooner.
    """

    type = "information_sharing"
    max_intensity = 1.0
    unit = "share of full integration (0-1)"
    unit_cost = 5e5
    unit_cost_source = "assumption (liaison network of ~150 officers)"
    params = {
        "share_gain": Param(0.5, "share/week", 0.0, 1.0, "assumption",
                            "rise in the weekly intelligence share at full integration"),
    }


    def act(self, model, t, level):
        model.agency_partners[:] = True
        model.share_rate_add += self.p["share_gain"] * min(level, 1.0)


LEVER = InformationSharing
