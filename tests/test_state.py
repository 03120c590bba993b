"""The model's state (sim/state.py) and the weekly processes (sim/processes/): a copy or a
saved state continues exactly as the original; the processes' declarations hold."""

import numpy as np
from conftest import tiny_scenario

from sim import default_scenario, snapshot
from sim.model import TocModel
from sim.processes import WEEKLY
from sim.state import State


def _outputs(m: TocModel) -> tuple[bytes, bytes]:
    return m.metrics.tobytes(), m.region_metrics.tobytes()


def test_a_copied_state_continues_identically_and_independently():
    a = TocModel(default_scenario(weeks=30, seed=9), checks=True)
    a.run(10)
    b = TocModel.from_state(a.state.copy())
    assert snapshot.state_digest(a) == snapshot.state_digest(b)
    a.run(20)
    assert b.week == 10  # the copy did not move with the original
    b.run(20)
    assert _outputs(a) == _outputs(b)
    assert snapshot.state_digest(a) == snapshot.state_digest(b)
    assert not np.shares_memory(a.counts, b.counts)


def test_a_saved_state_continues_identically(tmp_path):
    scn = tiny_scenario(weeks=25, seed=4)
    a = TocModel(scn, checks=True)
    a.run(8)
    path = a.state.save(tmp_path / "week8.state")
    a.run(17)
    b = TocModel.from_state(State.load(path))
    assert b.week == 8
    b.run(17)
    assert _outputs(a) == _outputs(b)
    assert snapshot.state_digest(a) == snapshot.state_digest(b)


def test_model_attributes_are_the_states():
    m = TocModel(tiny_scenario(weeks=3))
    assert m.counts is m.state.counts and m.orgs is m.state.orgs
    m.share_rate_add = 0.25  # a lever set through the model lands on the state
    assert m.state.share_rate_add == 0.25
    m.run(1)
    assert m.week == m.state.week == 1


def test_each_process_declares_what_it_keeps_and_has_one_step():
    m = TocModel(tiny_scenario(weeks=2))
    m.run(2)
    owners = {}
    for proc in WEEKLY:
        assert callable(proc.step)
        for name in proc.KEEPS:
            obj, attr = (m.state.orgs, name[5:]) if name.startswith("orgs.") else (m.state, name)
            assert hasattr(obj, attr), f"{proc.__name__}: {name} is not on the state"
            assert name not in owners, f"{name} kept by {owners.get(name)} and {proc.__name__}"
            owners[name] = proc.__name__


def test_a_damaged_snapshot_is_named_not_a_traceback(tmp_path):
    """A snapshot cut short, with a flipped byte, of another version or not a snapshot at all
    gives one line naming the file (ScenarioError, exit 2 on the command line); a snapshot
    from before the length and checksum were recorded still loads."""
    import pickle
    import re

    import pytest

    from sim.errors import ScenarioError

    model = TocModel(tiny_scenario(weeks=3), checks=True)
    model.run(1)
    path = snapshot.save(model.state, tmp_path / "s.snap")
    data = path.read_bytes()

    def problem(blob: bytes) -> str:
        (tmp_path / "x.snap").write_bytes(blob)
        with pytest.raises(ScenarioError) as err:
            snapshot.load(tmp_path / "x.snap")
        assert str(err.value).startswith(f"{tmp_path / 'x.snap'}: ")
        return str(err.value)

    assert "cut short" in problem(data[: len(data) // 2])
    flipped = bytearray(data)
    flipped[-100] ^= 0xFF
    assert "checksum does not match" in problem(bytes(flipped))
    assert "not a tocsim snapshot" in problem(b"garbage")
    assert "written by tocsim=0.0.1" in problem(re.sub(rb"tocsim=[^ ]+", b"tocsim=0.0.1",
                                                       data, count=1))
    # the format before the length and checksum: the same body, without them
    head, body = data[len(snapshot.MAGIC):].split(b"\n", 1)
    old = snapshot.MAGIC + b" ".join(head.split(b" ")[:2]) + b"\n" + body
    assert snapshot.loads(old).week == model.state.week
    assert "snapshot cannot be read (" in problem(old[: len(old) - 1000])  # no length to test
    assert pickle.loads(body).week == model.state.week
