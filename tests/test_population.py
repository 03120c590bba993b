"""Population mechanisms (issue 8): organization growth, leadership removal, replacement
after losses, recruitment prevention and the spin-up. Paired replicates share seeds."""

import numpy as np
import pandas as pd
import pytest
from conftest import tiny_scenario

from sim.model import TocModel

# many removals and splits in a tiny world: every succession splits
SPLITTY = {"conflict": {"split_prob": 1.0, "cohesion_shock": 1.0, "succession_weeks": 8},
           "enforcement": {"case_rate": 0.05, "case_threshold": 0.0, "case_lieutenants": 0}}
KINGPIN = [{"type": "targeted_enforcement", "strategy": "kingpin", "budget": 2e6,
            "targets": {"top_n": 3}}]


def test_growing_the_organization_arrays_changes_no_result():
    """A model that starts with no spare organization slots grows its arrays mid-week at
    every split that needs one; its weekly records must equal those of a model that never
    grows (the bug: the growth week's shipments, seizures, arrests, ... came out zero)."""
    sc = tiny_scenario(weeks=80, seed=3, params=SPLITTY, interventions=KINGPIN)
    grown = TocModel(sc, org_capacity=3)
    weeks_grown = []
    for _ in range(sc.weeks):
        cap = grown.orgs.capacity
        grown.step()
        if grown.orgs.capacity > cap:
            weeks_grown.append(grown.week - 1)
    roomy = TocModel(sc).run()
    assert roomy.orgs.capacity == 35 and grown.orgs.n == roomy.orgs.n
    assert len(weeks_grown) >= 3, "the world must force several growths"
    a, b = grown.metrics_frame(), roomy.metrics_frame()
    assert (a.splits.sum() >= 10) and a.splits.sum() == b.splits.sum()
    floats = [c for c in a.columns if a[c].dtype.kind == "f"]
    ints = [c for c in a.columns if c not in floats]
    pd.testing.assert_frame_equal(a[ints], b[ints])
    # sums over longer (zero-padded) org arrays may round differently in the last bit
    np.testing.assert_allclose(a[floats].to_numpy(), b[floats].to_numpy(), rtol=1e-12, atol=0)
    growth = a.loc[weeks_grown]
    assert (growth.supply_shipped > 0).all() and (growth.consumption > 0).all()
    assert (growth.route_nodes > 0).all() and (growth.arrests > 0).all() and (growth.splits > 0).all()
    n = grown.orgs.n
    np.testing.assert_array_equal(grown.counts[:n], roomy.counts[:n])
    np.testing.assert_array_equal(grown.orgs.cash[:n], roomy.orgs.cash[:n])
