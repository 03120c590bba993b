"""The Prieto-Curiel et al. (2023) reference model reproduces its published figures."""

import numpy as np
import pytest

from calibration.reference import (
    PUBLISHED,
    ReferenceParams,
    experiments,
    load_network,
    simulate,
)


@pytest.fixture(scope="module")
def net():
    return load_network()


def test_network_is_the_2020_data(net):
    assert net.n == 150
    assert np.allclose(net.rivalry, net.rivalry.T) and np.allclose(net.alliance, net.alliance.T)
    assert net.rivalry.diagonal().sum() == 0 and net.rivalry.max() >= 1
    k = net.interaction()
    assert k.diagonal().sum() == 0 and (k > 0).sum() == 150 * 149


def test_published_fit_grows_115k_to_about_170k_in_ten_years(net):
    run = simulate(ReferenceParams(), 520, net)
    assert run.members[0] == pytest.approx(PUBLISHED["c0"])
    # REFERENCES: 160,000-185,000 members in 2022, about 175,000
    assert 160_000 <= run.members[-1] <= 185_000
    # around 2022: ~6,500 killed and ~5,700 incapacitated a year; 18,000-24,000 recruits
    assert 5_000 <= run.yearly("deaths")[-1] <= 8_000
    assert run.yearly("arrests")[-1] == pytest.approx(52 * PUBLISHED["eta"])
    assert 18_000 <= run.yearly("recruits")[-1] <= 24_000


def test_largest_groups_shares(net):
    run = simulate(ReferenceParams(), 520, net)
    shares = run.sizes[-1] / run.members[-1]
    top = dict(zip(net.names, shares, strict=True))
    cjng = next(v for k, v in top.items() if "Jalisco" in k)
    sinaloa = next(v for k, v in top.items() if k == "Cártel de Sinaloa")
    assert 0.14 <= cjng <= 0.20  # PC23: CJNG about 17%
    assert 0.06 <= sinaloa <= 0.12  # PC23: Sinaloa about 9%
    assert shares.argmax() == list(net.names).index(next(k for k in top if "Jalisco" in k))


def test_policy_experiments_order(net):
    runs = experiments(260, network=net)
    size = {k: r.members[-1] for k, r in runs.items()}
    deaths = {k: r.yearly("deaths")[-1] for k, r in runs.items()}
    start = runs["status quo"].members[0]
    # PC23 (2022-2027): the status quo grows (about +26% members, +40% victims); doubling
    # incapacitation leaves the size above the 2022 level; halving recruitment lowers size and
    # deaths; stopping recruitment lowers them most
    assert 1.1 < size["status quo"] / start < 1.4
    assert 1.1 < deaths["status quo"] / runs["status quo"].yearly("deaths")[0] < 1.6
    assert size["double incapacitation"] > start
    assert size["halve recruitment"] < size["status quo"]
    assert deaths["halve recruitment"] < deaths["status quo"]
    assert size["stop recruitment"] < size["halve recruitment"] < size["double incapacitation"]
    assert deaths["stop recruitment"] == min(deaths.values())
