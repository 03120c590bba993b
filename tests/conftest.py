import os
from pathlib import Path

import matplotlib
import pytest

matplotlib.use("Agg")
os.environ.setdefault("NUMBA_NUM_THREADS", "1")

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


def tiny_scenario(weeks=52, seed=1, params=None, **extra):
    from sim import from_dict

    raw = {"name": "tiny", "seed": seed, "weeks": weeks, "world": str(DATA / "tiny_world.yaml"),
           "params": params or {}}
    raw.update(extra)
    return from_dict(raw, "<test>")
