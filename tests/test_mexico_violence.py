"""calibration.mexico_violence: the rival mass C K C and its parts (world organizations,
fragment-parent pairs, other pairs with a fragment), by hand and on a short run."""

import numpy as np
from conftest import DATA

from calibration.mexico_violence import measure, rival_mass, yearly


def test_rival_mass_by_hand():
    # organizations 0 and 1 from the world, 2 a fragment of 0, 3 inactive; two regions
    m = np.array([[10.0, 4.0], [5.0, 0.0], [2.0, 3.0], [7.0, 7.0]])
    active = np.array([True, True, True, False])
    rivalry = np.zeros((4, 4))
    rivalry[0, 1] = rivalry[1, 0] = 2.0
    rivalry[0, 2] = rivalry[2, 0] = 5.0  # split_rivalry
    alliance = np.zeros((4, 4))
    alliance[1, 2] = alliance[2, 1] = 1.0
    parent = np.array([-1, -1, 0, -1])
    out = rival_mass(m, active, rivalry, alliance, 1.0, parent, n_world=2)
    # K: (0,1) = 3, (0,2) = 6, (1,2) = 1/2; region 0: 3*10*5 + 6*10*2 + 0.5*5*2; region 1: 6*4*3
    assert out["ckc_world_orgs"] == 150.0
    assert out["ckc_fragment_parent"] == 120.0 + 72.0
    assert out["ckc_fragment_other"] == 5.0
    assert out["ckc"] == 150.0 + 192.0 + 5.0
    assert out["pairs_sharing_region"] == 3 + 1  # the inactive one shares no pair


def test_measure_on_a_short_run_without_splits():
    from sim.scenario import load_scenario

    scn = load_scenario(DATA / "tiny_base.yaml", weeks=60,
                        overrides={"params.conflict.split_prob": 0.0})
    weekly = measure(scn)
    assert len(weekly) == 60 and weekly["orgs"].max() <= weekly["orgs"].iloc[0]
    assert (weekly["ckc"] > 0).all()
    assert (weekly["ckc_fragment_parent"] == 0).all() and (weekly["ckc_fragment_other"] == 0).all()
    assert np.allclose(weekly["ckc"], weekly["ckc_world_orgs"])
    table = yearly(weekly, start_year=2000)
    assert list(table.index) == [2000, 2001]
    assert table.loc[2000, "members_killed"] == weekly["members_killed"].iloc[:52].sum()


def test_bad_input_is_one_line_and_exit_2(tmp_path, capsys):
    from calibration.mexico_violence import main

    assert main([str(tmp_path / "missing.yaml")]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "missing.yaml" in err[0] and "not found" in err[0]
    assert main([str(DATA / "tiny_base.yaml"), "--set", "params.conflict.split_prob=7"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "split_prob" in err[0]
