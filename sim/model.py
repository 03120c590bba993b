"""The tocsim model: a Mesa model whose agents are numpy arrays updated by Numba kernels.

:class:`TocModel` builds the state (:class:`~sim.state.State`), runs the weekly processes
(``sim/processes/``) in the order its ``step`` docstring lists, and returns results. Every
quantity of the simulation lives on the state; the model's attributes forward to it, so
``model.counts``, ``model.orgs`` or ``model.week`` read (and set) the state's.
"""

from __future__ import annotations

import logging
import time

import mesa
import mesa.model
import numpy as np

from . import processes as p
from .enums import Status
from .errors import ModelStopped
from .ledger import Ledger
from .live import LiveChanges
from .processes.bookkeeping import ConservationError
from .rng import spinup_streams
from .state import State

__all__ = ["ConservationError", "TocModel"]

# Mesa logs each step at INFO: when that is on, steps take Mesa's own path
_MESA_LOG = getattr(mesa.model, "_mesa_logger", logging.getLogger("MESA.mesa.model"))


class TocModel(LiveChanges, mesa.Model):
    """Illicit markets, criminal organizations, officials and agencies, week by week.

    Build it from a validated :class:`~sim.scenario.Scenario`; ``run()`` advances all weeks and
    ``metrics_frame()`` returns the weekly metrics. See ``step`` for the weekly order.
    """

    _failed_week: int | None = None  # the week that raised part way (then step() refuses)

    def __init__(self, scenario, *, checks: bool | None = None, org_capacity: int | None = None):
        super().__init__(rng=scenario.seed)
        s = self.state = State(scenario, checks=checks, org_capacity=org_capacity)
        p.derive(s)  # tables derived from parameters
        p.markets.init(s)
        p.shipping.init(s)
        p.corruption.init(s)
        p.finance.init(s)
        s.ledger = Ledger(s)
        s.metrics = np.full((scenario.weeks, len(s.metric_names)), np.nan)
        s.region_metrics = np.full((scenario.weeks, s.R, 7), np.nan)
        self.spinup_seconds = self._spin_up(int(s.pars.run.spinup_weeks))
        from .interventions import build_interventions

        s.interventions = build_interventions(self)  # set up on the spun-up state

    @classmethod
    def from_state(cls, state: State) -> TocModel:
        """A model that continues from ``state`` (e.g. :meth:`State.copy` or
        :meth:`State.load`); the state is used as is, not copied."""
        self = cls.__new__(cls)
        mesa.Model.__init__(self, rng=state.config.seed)
        self.state = state
        p.derive(state)  # the same tables from its parameters (a state saved before they existed)
        self.spinup_seconds = 0.0
        return self

    # ------------------------------------------------------------------ the state
    def __getattr__(self, name: str):
        # called only when normal lookup fails: the simulation's quantities live on the state
        state = self.__dict__.get("state")
        if state is None or name.startswith("__"):
            raise AttributeError(name)
        try:
            return getattr(state, name)
        except AttributeError:
            raise AttributeError(f"{type(self).__name__!r} object has no attribute "
                                 f"{name!r}") from None

    def __setattr__(self, name: str, value) -> None:
        state = self.__dict__.get("state")
        if state is not None and name in state.__dict__:
            setattr(state, name, value)
        else:
            object.__setattr__(self, name, value)

    def _spin_up(self, weeks: int) -> float:
        """Run ``weeks`` unreported weeks before week 0 (weeks -weeks..-1), with no
        interventions and the weekly processes drawing from their ``spinup/`` streams, so
        that week 0 starts from the model's own (near-)stationary state rather than from the
        built initial state (ODD 5). Returns the seconds it took."""
        if weeks <= 0:
            return 0.0
        t0 = time.perf_counter()
        s = self.state
        main = s.streams
        s.streams = dict(main, **spinup_streams(s.config.seed))
        s.week = -weeks
        m = s.members  # the initial members joined before the spin-up started
        m.joined[: m.n] -= weeks
        m.release[: m.n] = np.where(m.status[: m.n] == Status.INCARCERATED,
                                    m.release[: m.n] - weeks, m.release[: m.n])
        while s.week < 0:
            self.step()
        s.streams = main
        return time.perf_counter() - t0

    # ------------------------------------------------------------------ the week
    def step(self) -> None:
        """Advance one week. The order of the weekly cycle:

        1. Interventions act: they change capacities, budgets and probabilities.
        2. Sourcing and route choice: each organization buys at its origin, picks least
           risk-adjusted-cost paths over the corridors and splits volume over markets.
        3. Interdiction: lots cross corridors and are seized; organizations learn risk.
        4. Markets: retail prices clear supply against demand; wholesale and import prices are
           what retail leaves after the value added downstream (dealers' risk and margins);
           the chain's supply price at the border is updated from landed costs; firearms add
           to regional gun stocks.
        5. Corruption: offers, acceptance, bribes, detection; protection is updated.
        6. Finance: revenue, purchases, transport, wages, bribes (paid pro rata when cash runs
           short); payouts from wealth; laundering against AML; shipments follow the gap
           between the import price and the chain's supply price.
        7. Enforcement: agencies assign investigators by threat, build and share
           intelligence, and cases mature into arrests of leaders and lieutenants and
           asset seizures.
        8. Conflict: killing hazards between organizations sharing regions.
        9. Members: arrests and convictions, deaths, exits, releases.
        10. Leadership: successions start when leaders fall, and end in a promotion or a split.
        11. Recruitment: from regional populations by criminal versus legitimate pay, with
            saturation; roles by deficit; ties to recruiters.
        12. Bookkeeping: presence, threat scores, dissolution, metrics, conservation checks.
        """
        s = self.state
        s.reset_levers()
        s.intervention_cost = sum(iv.apply(self, s.week) for iv in s.interventions)
        p.shipping.step(s)  # 2-3
        p.markets.step(s)  # 4
        p.corruption.step(s)  # 5
        p.finance.step(s)  # 6
        p.enforcement.step(s)  # 7
        p.conflict.step(s)  # 8
        p.members.step(s)  # 9
        p.leadership.step(s)  # 10
        p.recruitment.step(s)  # 11
        p.bookkeeping.step(s)  # 12
        s.week += 1

    def _wrapped_step(self) -> None:
        """What ``model.step()`` calls: Mesa's step (the clock one unit on, the scheduled step
        run), taking a short path when the weekly step is all Mesa has to do. Mesa's event loop
        pops the schedule's event, makes a new one for the next step and queues it, every
        step: about 20 us a week inside a run, 4-6% of the baseline's model time. When
        :meth:`_lone_step_event` finds the schedule's next event alone at the next unit of time,
        this does what that loop would: ``time`` set to the event's time (observers notified),
        ``steps`` counted, the week run, the event moved a unit on and counted as executed.
        ``tests/test_model.py`` compares both paths' clock, steps and schedule. Anything else
        (other events, a simulator, Mesa's step logging, a subclass's own ``step``) takes Mesa's
        path.

        A week that raises part way leaves the model part of a week on: every later ``step()``
        raises :class:`~sim.errors.ModelStopped` (Mesa's loop would have taken its event off
        the queue, so its later steps would move the clock and run no week, silently)."""
        if self._failed_week is not None:
            raise ModelStopped(f"week {self._failed_week} raised part way, so this model is "
                               "part of a week on and runs no more weeks: build a new one, or "
                               "continue from a state saved before (State.copy, State.load)")
        week = self.state.week
        ev = self._lone_step_event()
        if ev is None:
            try:
                super()._wrapped_step()
            except BaseException:
                self._failed_week = week
                raise
            return
        until = ev.time
        self.time = until
        self.steps += 1
        try:
            self._user_step()  # tocsim's weekly step: never schedules or cancels Mesa events
        except BaseException:
            # as Mesa's loop leaves it: it had taken the event off the queue before the step
            self._event_list._events.clear()  # (that event was the only one)
            self._failed_week = week
            raise
        self._default_schedule._execution_count += 1
        ev.time = until + 1.0  # the heap holds only this event: it stays a heap

    def _lone_step_event(self):
        """The default schedule's next event when Mesa's step would run exactly it: it is the
        only event queued, at one unit after ``time``, for ``step`` every unit with no end, no
        simulator, no logging of steps, and ``step`` is tocsim's own; else None (also when
        this Mesa keeps its schedule some other way)."""
        try:
            gen = self._default_schedule
            ev = gen._current_event
            events = self._event_list._events
            sched = gen.schedule
            ok = (len(events) == 1 and events[0] is ev and not ev._canceled
                  and ev.time == self.time + 1 and self._simulator is None
                  and gen._active and not gen._paused
                  and sched.interval == 1 and sched.count is None and sched.end is None
                  and type(self).step is TocModel.step
                  and type(self)._do_step is mesa.Model._do_step
                  and not _MESA_LOG.isEnabledFor(logging.INFO))
        except AttributeError:
            return None
        return ev if ok else None

    def arrest_members(self, idx: np.ndarray, rng: np.random.Generator | None = None,
                       sentence_weeks: float | None = None) -> int:
        """Arrest the active members ``idx`` (an intervention's direct action). With ``rng``
        the courts convict each with this week's probability ``conviction[org, region]`` and
        the rest go free; without, all are incarcerated. Counts, leaders and the ledger are
        kept current. Returns how many were arrested."""
        return p.members.arrest(self.state, idx, rng, sentence_weeks)

    def run(self, weeks: int | None = None, progress=None) -> TocModel:
        """Run ``weeks`` (default: the scenario's) weeks; ``progress(done, total)`` if given."""
        total = self.config.weeks if weeks is None else weeks
        for i in range(total):
            self.step()
            if progress is not None:
                progress(i + 1, total)
        return self

    # ------------------------------------------------------------------ results
    def metrics_frame(self):
        """Weekly metrics as a pandas DataFrame (column ``week`` then the metrics)."""
        import pandas as pd

        n = self.week
        df = pd.DataFrame(self.metrics[:n], columns=self.metric_names)
        df.insert(0, "week", np.arange(n))
        return df

    def regions_frame(self):
        """Per region and week: drug volume, seizures, homicides, corruption, price, ..."""
        import pandas as pd

        from .metrics import REGION_FIELDS

        n, R = self.week, self.R
        data = self.region_metrics[:n].reshape(n * R, -1)
        df = pd.DataFrame(data, columns=list(REGION_FIELDS))
        df.insert(0, "region", np.tile(self.world.region_names, n))
        df.insert(0, "week", np.repeat(np.arange(n), R))
        return df
