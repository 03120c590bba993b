"""Model-level tests: determinism, conservation, known answers and the baseline's plausibility."""

import numpy as np
import pytest
from conftest import tiny_scenario

from sim import default_scenario
from sim.enums import Role, Status
from sim.model import ConservationError, TocModel

NO_LOSSES = {
    "enforcement": {"arrest_rate": 0.0, "exit_rate": 0.0, "case_rate": 0.0},
    "conflict": {"theta": 0.0},
    "recruitment": {"saturation": 0.5, "wage_elasticity": 0.0},
}


def test_same_seed_same_bytes_different_seed_differs():
    a = TocModel(tiny_scenario(weeks=40, seed=3)).run().metrics_frame().to_csv()
    b = TocModel(tiny_scenario(weeks=40, seed=3)).run().metrics_frame().to_csv()
    c = TocModel(tiny_scenario(weeks=40, seed=4)).run().metrics_frame().to_csv()
    assert a == b
    assert a != c


def test_conservation_holds_on_the_default_world():
    # checks are on by default and raise ConservationError on any broken identity
    m = TocModel(default_scenario(weeks=104, seed=5))
    assert m.checks
    m.run()
    assert m.ledger.check(m) == []
    st = m.members.count_status()
    assert st[Status.ACTIVE] + st[Status.INCARCERATED] + st[Status.DEAD] + st[Status.EXITED] \
        == m.ledger.initial_members + m.ledger.recruited


def test_conservation_check_catches_a_leak():
    m = TocModel(tiny_scenario(weeks=10))
    m.run(2)
    m.orgs.cash[0] += 1e6  # money from nowhere
    with pytest.raises(ConservationError, match="money"):
        m.step()
    m = TocModel(tiny_scenario(weeks=10))
    m.run(2)
    m.members.status[0] = Status.DEAD  # a death no process recorded
    with pytest.raises(ConservationError, match="members"):
        m.step()


def test_recruitment_without_losses_grows_at_the_analytic_rate():
    """With no arrests, deaths, exits or saturation, E[M_t] = M_0 (1 + rho)^t."""
    weeks, reps = 52, 6
    finals = []
    for seed in range(reps):
        m = TocModel(tiny_scenario(weeks=weeks, seed=seed, params=NO_LOSSES))
        m0 = m.ledger.active
        m.run()
        finals.append(m.ledger.active)
    rho = m.pars.recruitment.rate
    expected = m0 * (1 + rho) ** weeks
    # each run: a sum of Poisson draws, variance about expected - m0 (growth is small)
    se = np.sqrt((expected - m0) / reps)
    assert abs(np.mean(finals) - expected) < 4 * se, (np.mean(finals), expected, se)
    assert min(finals) > m0


def test_leader_removal_starts_a_succession_that_can_split():
    params = {"conflict": {"split_prob": 1.0, "cohesion_shock": 1.0, "cohesion_recovery": 0.0,
                           "succession_weeks": 4}}
    m = TocModel(tiny_scenario(weeks=20, params=params))
    m.run(1)
    alpha = 0
    leader = m.orgs.leader[alpha]
    assert leader >= 0 and m.members.role[leader] == Role.LEADER
    assert m.arrest_members([leader]) == 1  # arrested (and convicted) directly
    assert m.leader_lost[alpha] == 1
    n_orgs = m.orgs.n
    m.run(1)
    assert m.orgs.leader[alpha] == -1 and m.orgs.succession[alpha] > 0
    m.run(5)
    assert m.orgs.n == n_orgs + 1  # split with certainty (cohesion 0, split_prob 1)
    frag = n_orgs
    assert m.orgs.parent[frag] == alpha and m.orgs.active[frag]
    assert m.orgs.rivalry[frag, alpha] == m.pars.conflict.split_rivalry
    assert m.orgs.leader[alpha] >= 0 and m.orgs.leader[frag] >= 0
    assert (m.members.org[: m.members.n] == frag).sum() > 0


def test_dealer_arrests_raise_the_retail_markup():
    """Reuter-Kleiman: dealers are paid for risk (market.dealer_risk_premium); more street
    enforcement, wider margins between wholesale and retail."""
    def ratio(rate):
        m = TocModel(tiny_scenario(weeks=30, params={"enforcement": {"arrest_rate": rate}}))
        df = m.run().metrics_frame().iloc[10:]
        return (df.retail_price / df.wholesale_price).mean()

    assert ratio(0.02) > ratio(0.0) * 1.1


@pytest.fixture(scope="module")
def baseline_run():
    m = TocModel(default_scenario(weeks=520, seed=42), checks=False)
    m.run()
    return m, m.metrics_frame()


def test_baseline_is_plausible(baseline_run):
    """The issue's bars: markups of 30x or more, seizures a plausible share of flow, a stable
    or growing criminal population and nonzero corruption (REFERENCES.md)."""
    m, df = baseline_run
    last = df.iloc[-52:]
    assert last.markup.mean() >= 30
    assert 0.1 <= last.seizure_rate.mean() <= 0.5
    assert last.criminal_members.mean() >= 0.95 * df.criminal_members.iloc[0]
    assert last.corruption_rate.mean() > 0.01
    assert (last.homicides > 0).all() and (last.arrests > 0).all()
    assert last.retail_price.mean() > 3 * last.wholesale_price.mean()
    assert df.route_nodes.max() >= 3


def test_baseline_scale_meets_the_agent_counts(baseline_run):
    m, df = baseline_run
    assert df.criminal_members.iloc[0] >= 50_000
    assert m.officials.n >= 5_000


class _MesaPath(TocModel):
    """The same weekly step, as a subclass's own: ``model.step()`` takes Mesa's event loop."""

    def step(self) -> None:
        super().step()


def _clock(m):
    g = m._default_schedule
    return (m.steps, m.time, g.next_scheduled_time, g.execution_count,
            sorted((e.time, e.priority) for e in m._event_list._events if not e.CANCELED))


def test_step_short_path_keeps_mesas_clock_and_schedule():
    """``model.step()`` bypasses Mesa's event loop when the weekly step is all it would run:
    the clock, the step count, the schedule, the observers' notifications and the simulation
    are as Mesa's own path leaves them, and another event queued takes Mesa's path."""
    from sim.snapshot import state_digest

    sc = tiny_scenario(weeks=12, seed=2, spinup=3)
    fast, slow = TocModel(sc), _MesaPath(sc)
    assert fast._lone_step_event() is not None  # the short path is taken
    assert slow._lone_step_event() is None
    assert _clock(fast) == _clock(slow) == (3, 3.0, 4.0, 3, [(4.0, 1)])  # after the spin-up
    seen = {"fast": [], "slow": []}
    handlers = {k: (lambda sig, k=k: seen[k].append(sig.additional_kwargs["new"])) for k in seen}
    fast.observe("time", "changed", handlers["fast"])
    slow.observe("time", "changed", handlers["slow"])
    calls = []

    def note_fast():
        calls.append((fast.steps, fast.time))

    def note_slow():
        calls.append((slow.steps, slow.time))

    fast.schedule_event(note_fast, at=6.0)  # Mesa keeps a weak reference: named functions
    slow.schedule_event(note_slow, at=6.0)
    for week in range(8):
        fast.step()
        slow.step()
        assert _clock(fast) == _clock(slow), week
        assert state_digest(fast) == state_digest(slow), week
    assert calls[0] == calls[1] == (6, 6.0)  # the queued event ran at time 6, after that step
    assert seen["fast"] == seen["slow"] == [float(t) for t in range(4, 12)]
    assert _clock(fast) == (11, 11.0, 12.0, 11, [(12.0, 1)])
    assert fast._lone_step_event() is not None  # back on the short path


def test_step_short_path_fails_as_mesas_path_does(monkeypatch):
    """A week that raises leaves Mesa's clock, steps and queue as Mesa's own path leaves
    them (its event already taken off the queue); on either path the next ``step()`` then
    refuses (ModelStopped, naming the week) and changes nothing, where Mesa's loop alone
    would move the clock and run no week."""
    import sim.processes as procs
    from sim.errors import ModelStopped

    sc = tiny_scenario(weeks=6, seed=3)
    fast, slow = TocModel(sc), _MesaPath(sc)
    fast.step()
    slow.step()
    orig = procs.markets.step

    def broken(s):
        raise RuntimeError("a broken week")

    monkeypatch.setattr(procs.markets, "step", broken)
    for m in (fast, slow):
        with pytest.raises(RuntimeError, match="a broken week"):
            m.step()
    assert _clock(fast) == _clock(slow) == (2, 2.0, 2.0, 1, [])
    monkeypatch.setattr(procs.markets, "step", orig)
    for m in (fast, slow):
        with pytest.raises(ModelStopped, match="week 1 raised part way"):
            m.step()
        with pytest.raises(ModelStopped):
            m.run(3)
    assert _clock(fast) == _clock(slow) == (2, 2.0, 2.0, 1, [])
    assert fast.week == slow.week == 1

