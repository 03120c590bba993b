import os
from pathlib import Path

import matplotlib
import pytest

matplotlib.use("Agg")
os.environ.setdefault("NUMBA_NUM_THREADS", "1")

# The tests recount every member slot every week (a plain run does it every 13 weeks and in
# its last week, sim.ledger.RECOUNT_WEEKS): a miscount fails the test in the week it happens.
import sim.ledger  # noqa: E402

sim.ledger.RECOUNT_WEEKS = 1

ROOT = Path(__file__).resolve().parents[1]
DATA = Path(__file__).resolve().parent / "data"


def pytest_addoption(parser):
    parser.addoption("--runslow", action="store_true", help="run tests marked slow")


def pytest_collection_modifyitems(config, items):
    if config.getoption("--runslow"):
        return
    skip = pytest.mark.skip(reason="slow: use --runslow")
    for item in items:
        if "slow" in item.keywords:
            item.add_marker(skip)


@pytest.fixture
def tiny_world(tmp_path):
    return str(DATA / "tiny_world.yaml")


def tiny_scenario(weeks=52, seed=1, params=None, spinup=0, **extra):
    """A scenario on the tiny world. Mechanism tests start from the built initial state
    (``spinup=0``, a known state and a fast suite); the spin-up is tested in
    tests/test_population.py."""
    from sim import from_dict

    params = dict(params or {})
    params["run"] = dict(params.get("run", {}), spinup_weeks=spinup)
    raw = {"name": "tiny", "seed": seed, "weeks": weeks, "world": str(DATA / "tiny_world.yaml"),
           "params": params}
    raw.update(extra)
    return from_dict(raw, "<test>")
