"""The member-life rules written the idiomatic Mesa way (one agent per member) and tocsim's
kernels give the same weekly event counts: a seeded statistical check at 3 standard errors,
and a check that it fails when one side's hazard is doubled. The speed comparison is
benchmarks/bench_mesa_peer.py (speed is never asserted in tests)."""

import importlib.util
import sys
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

_spec = importlib.util.spec_from_file_location(
    "bench_mesa_peer", Path(__file__).resolve().parents[1] / "benchmarks" / "bench_mesa_peer.py")
peer = sys.modules.setdefault("bench_mesa_peer", importlib.util.module_from_spec(_spec))
_spec.loader.exec_module(peer)

MEMBERS, WEEKS, REPLICATES = 2_000, 12, 16
TOL = 3.0  # standard errors


@pytest.fixture(scope="module")
def runs():
    pop = peer.make_population(MEMBERS, seed=7)
    kern = peer.weekly_means(peer.KernelPeer, pop, WEEKS, REPLICATES, seed0=500)
    mesa = peer.weekly_means(peer.MesaPeer, pop, WEEKS, REPLICATES, seed0=100)
    doubled = replace(pop, h_death=2 * pop.h_death)
    mesa_doubled = peer.weekly_means(peer.MesaPeer, doubled, WEEKS, REPLICATES, seed0=100)
    return kern, mesa, mesa_doubled


def _z(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    se = np.sqrt(a.var(axis=0, ddof=1) / len(a) + b.var(axis=0, ddof=1) / len(b))
    return (a.mean(axis=0) - b.mean(axis=0)) / se


def test_mesa_agents_and_kernels_give_the_same_weekly_event_counts(runs):
    kern, mesa, _ = runs
    z = _z(mesa, kern)
    for j, event in enumerate(peer.EVENTS):
        assert kern[:, j].mean() > 0.5, event  # every event happens, or the check is empty
        assert abs(z[j]) < TOL, f"{event}: Mesa {mesa[:, j].mean():.2f} vs kernels " \
                                f"{kern[:, j].mean():.2f} a week (z = {z[j]:+.2f})"


def test_the_check_fails_when_one_side_doubles_the_death_hazard(runs):
    kern, _, mesa_doubled = runs
    z = _z(mesa_doubled, kern)
    deaths = peer.EVENTS.index("deaths")
    assert z[deaths] > TOL  # the doubled hazard is caught, on deaths ...
    assert mesa_doubled[:, deaths].mean() > 1.6 * kern[:, deaths].mean()
    arrests = peer.EVENTS.index("arrests")
    assert abs(z[arrests]) < TOL  # ... and not blamed on arrests (same arrest hazard)
