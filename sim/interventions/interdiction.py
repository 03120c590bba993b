"""Interdiction: seizure capacity on target regions' borders or on named corridors."""

import numpy as np

from ..params import Param
from .base import Intervention


class Interdiction(Intervention):
    """Seizure capacity at borders, ports and air routes (border, maritime, air interdiction).

    Intensity is the budget in million USD per week. Each million adds ``hazard_per_million``
    to the seizure hazard of every lot crossing a targeted corridor, spread evenly over the
    targeted corridors (a region target means every corridor into that region): the same money
    spread over more crossings buys less at each. Traffickers learn the higher risk from their
    own losses and re-route (displacement is not forced: it follows from route choice).
    """

    type = "interdiction"
    unit = "million USD/week"
    unit_cost = 1e6
    unit_cost_source = "definition (intensity = budget in million USD/week)"
    needs_targets = ("regions", "corridors")
    params = {
        "hazard_per_million": Param(0.4, "hazard per crossing per (million USD/week) on one corridor",
                                    0.0, 100.0, "assumption; M19 (events per month vs budget)",
                                    "seizure hazard bought by one million USD/week on a single corridor"),
        "modes": Param(7, "bit mask (1 land, 2 sea, 4 air)", 1, 7, "definition",
                       "which corridor modes the interdiction covers", int),
    }

    def setup(self, model) -> None:
        w = model.world
        edges = self.edge_mask.copy()
        if self.targets.get("regions"):
            edges |= self.region_mask[w.edge_to]
        modes = int(self.p["modes"])
        edges &= ((1 << w.edge_mode.astype(np.int64)) & modes) != 0
        self.edges = edges
        # corridors, not directed edges: edges 2k and 2k+1 are the two directions of corridor k
        # (sim/world.py); a region target covers only the direction into the region
        self.n_corridors = max(np.unique(np.nonzero(edges)[0] // 2).size, 1)

    def act(self, model, t, level):
        model.edge_extra_hazard[self.edges] += self.p["hazard_per_million"] * level / self.n_corridors


LEVER = Interdiction
