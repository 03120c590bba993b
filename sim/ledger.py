"""Conservation checks: drug mass, members and money, every week when switched on.

- Goods, per commodity: shipped = seized + sold + change in market stock (no stock is held
  in transit: lots that are not seized arrive the same week).
- Members: the status counts equal what the events imply (initial members plus recruits and
  returns, minus incarcerations, deaths and exits), and recruited + initial = active +
  incarcerated + dead + exited. Every week the kept counts by (organization, region, role)
  must total the active members the events imply and the jail list must hold the
  incarcerated; the recount of every member slot (statuses, the kept counts cell by cell, the
  jail list's entries) runs every :data:`RECOUNT_WEEKS` weeks and in a run's last week at
  ``run.conservation_checks = 1``, every week at ``2`` (and in the tests).
- Money: cash + laundered + frozen (all organizations) + seized by the state + abandoned by
  dissolved organizations = initial holdings + income - outflows.
- Valid space: every weekly state array and this week's metrics are finite, and prices,
  stocks, flows, seizures, sales, shipment targets, assets and hazards are not negative
  (:data:`STATE_ARRAYS`); a model that leaves this space stops naming the week and the
  quantity, instead of feeding NaN, inf or negative values to the next week's kernels.
"""

from __future__ import annotations

import math
import operator

import numpy as np

from .enums import Status
from .kernels.audit import (
    AUDIT_BLOCK,
    AUDIT_COPIES,
    N_STATUS,
    audit_members,
    first_invalid,
    kept_and_held,
    rows_finite,
)
from .metrics import REGION_FIELDS

# At run.conservation_checks = 1 the slot-by-slot member recount runs in weeks w with
# (w + 1) % RECOUNT_WEEKS == 0 (a quarter) and in the run's last week; at 2, every week.
# A miscount stays in the kept counts until fixed, so it is caught at the next recount, at
# most RECOUNT_WEEKS - 1 weeks late; tests/conftest.py sets 1 so the tests recount weekly.
RECOUNT_WEEKS = 13

# (attribute of the model or "orgs.<attribute>", may it be negative?)
STATE_ARRAYS: tuple[tuple[str, bool], ...] = (
    ("stock", False), ("retail_price", False), ("wholesale_price", False),
    ("value_at_risk", False), ("sold", False), ("shipped", False), ("seized_cr", False),
    ("arrivals_ocr", False), ("transit_flow_cr", False), ("edge_flow", False),
    ("org_region_flow", False), ("purchase_oc", False), ("transport_oc", False),
    ("guns", False), ("violence_r", False), ("corrupt_share_r", False), ("h_arrest", False),
    ("h_death", False), ("conviction", False), ("bribes_o", False), ("income_o", True),
    ("orgs.cash", True), ("orgs.laundered", False), ("orgs.frozen", False),
    ("orgs.ship_target", False), ("orgs.revenue", True), ("orgs.threat", False),
    ("orgs.intel", False), ("orgs.cohesion", False), ("orgs.risk_ev", False),
    ("orgs.risk_tr", False), ("orgs.role_memory", False),
)

# The arrays are read with two attribute getters (the model's, then the organizations'), in
# the order of STATE_ARRAYS: every model array comes before every organizations' array.
_N_MODEL = sum(not name.startswith("orgs.") for name, _ in STATE_ARRAYS)
assert all(name.startswith("orgs.") == (j >= _N_MODEL)
           for j, (name, _) in enumerate(STATE_ARRAYS))
_GET_MODEL = operator.attrgetter(*(name for name, _ in STATE_ARRAYS[:_N_MODEL]))
_GET_ORGS = operator.attrgetter(*(name.removeprefix("orgs.")
                                  for name, _ in STATE_ARRAYS[_N_MODEL:]))
_SIGNED = np.array([signed for _, signed in STATE_ARRAYS])
_J_PRICE = REGION_FIELDS.index("retail_price")  # a region's price: only where it has a market


def state_problems(model) -> list[str]:
    """One message per weekly state array with a non-finite value, or a negative value where
    none is allowed; and for this week's metrics row and region rows.

    All arrays are tested in one kernel call (:func:`sim.kernels.audit.first_invalid`); only
    when one fails are they searched one by one for the messages. An array the model lacks
    is named (``no such state array``): a renamed array must not drop out of the test."""
    problems = []
    try:
        arrays = _GET_MODEL(model) + _GET_ORGS(model.orgs)
    except AttributeError:  # an array the model does not have: name it
        return [f"{name}: no such state array" for name, _ in STATE_ARRAYS
                if _state_array(model, name) is None]
    if first_invalid(_SIGNED, *arrays) >= 0:
        for (name, signed), a in zip(STATE_ARRAYS, arrays, strict=True):
            problems += _bad_values(name, np.asarray(a, dtype=np.float64), signed)
    t = model.week
    if 0 <= t < model.metrics.shape[0]:  # spin-up weeks (t < 0) are not recorded
        row, reg = model.metrics[t], model.region_metrics[t]
        if not rows_finite(row, reg, model.world.demand_ref[0], _J_PRICE):  # one kernel call
            cols = model.metric_names
            for j in np.nonzero(~np.isfinite(row))[0][:3]:
                problems.append(f"metric {cols[j]} is {row[j]}")
            problems += _region_problems(model, reg)
    return problems


def _state_array(model, name: str):
    """The array ``name`` of :data:`STATE_ARRAYS` on ``model``, or None when it has none."""
    owner = model.orgs if name.startswith("orgs.") else model
    return getattr(owner, name.removeprefix("orgs."), None)


def _region_problems(model, reg: np.ndarray) -> list[str]:
    """Region rows: every field finite (the retail price only in regions with a market)."""
    market = np.asarray(model.world.demand_ref[0] > 0)
    j_price = _J_PRICE
    sums = reg.sum(axis=0)
    sums[j_price] = reg[market, j_price].sum()
    if np.isfinite(sums).all():
        return []
    problems = []
    for j, field in enumerate(REGION_FIELDS):
        col = reg[:, j] if field != "retail_price" else reg[market, j]
        if not np.isfinite(col).all():
            problems.append(f"region metric {field} is not finite")
    return problems


def _bad_values(name: str, a: np.ndarray, signed: bool) -> list[str]:
    bad = ~np.isfinite(a)
    if bad.any():
        where = tuple(int(i) for i in np.argwhere(bad)[0])
        return [f"{name}: {int(bad.sum())} of {a.size} values not finite "
                f"(first {a[where]} at {list(where)})"]
    if not signed and a.size and a.min() < 0:
        where = tuple(int(i) for i in np.unravel_index(np.argmin(a), a.shape))
        return [f"{name}: {int((a < 0).sum())} of {a.size} values negative "
                f"(lowest {a[where]:.6g} at {list(where)})"]
    return []


class Ledger:
    def __init__(self, model):
        m, o = model.members, model.orgs
        st = m.count_status()
        self.initial_members = int(m.n)
        self.active = int(st[Status.ACTIVE])
        self.incarcerated = int(st[Status.INCARCERATED])
        self.dead = int(st[Status.DEAD])
        self.exited = int(st[Status.EXITED])
        self.recruited = 0
        self.initial_money = float(o.cash.sum() + o.laundered.sum() + o.frozen.sum())
        self.income = 0.0
        self.outflow = 0.0
        self.seized = 0.0
        self.abandoned = 0.0
        self.goods_error = 0.0
        # scratch arrays that audit_members fills each week
        self._by_status = np.zeros(N_STATUS + 1, np.int64)
        self._hist = np.zeros((AUDIT_COPIES, N_STATUS), np.int32)
        self._keys = np.zeros(AUDIT_BLOCK, np.int32)

    def members_event(self, *, recruited=0, incarcerated=0, died=0, exited=0, released=0,
                      returned=0):
        """Apply one batch of member events to the expected status counts."""
        self.recruited += recruited
        self.active += recruited + returned - incarcerated - died - exited
        self.incarcerated += incarcerated - released
        self.dead += died
        self.exited += exited + (released - returned)

    def check(self, model) -> list[str]:
        """Return a message for every identity that does not hold this week.

        The member side: every week, the kept counts by organization, region and role total
        the active members the events imply, and the jail list holds the incarcerated; in
        recount weeks (module docstring) also one recount of the member arrays in a kernel
        (:func:`sim.kernels.audit.audit_members`): status totals, the kept counts cell by
        cell, the jail list's entries."""
        problems = []
        if not self.goods_error <= 1e-9:  # also NaN
            problems.append(f"goods: shipped != seized + sold + stock change "
                            f"(rel. error {self.goods_error:.2e})")
        m, o = model.members, model.orgs
        kept, held = kept_and_held(model.counts, o.cash, o.laundered, o.frozen)
        if kept != self.active:
            problems.append(f"members: kept counts total {kept} != {self.active} active by "
                            f"the events")
        if m.n_jail != self.incarcerated:
            problems.append(f"members: jail list holds {m.n_jail}, {self.incarcerated} "
                            f"incarcerated by the events")
        if self.initial_members + self.recruited != (
                self.active + self.incarcerated + self.dead + self.exited):
            problems.append("members: initial + recruited != active + incarcerated + dead + "
                            "exited")
        if recount_week(model):
            problems += self._recount(model)
        lhs = held + self.seized + self.abandoned
        rhs = self.initial_money + self.income - self.outflow
        if not math.isfinite(lhs) or not math.isfinite(rhs) \
                or abs(lhs - rhs) > 1e-7 * max(abs(rhs), abs(self.income), 1.0):
            problems.append(f"money: holdings + seized + abandoned = {lhs:.6e} != "
                            f"initial + income - outflow = {rhs:.6e}")
        return state_problems(model) + problems

    def audit(self, model) -> tuple[int, int, int, int]:
        """One recount of the member slots (:func:`sim.kernels.audit.audit_members`): its
        ``(differing, recounted, out_of_range, bad_jail)``; the status totals are left in
        ``self._by_status``."""
        m = model.members
        if self._hist.shape[1] != model.counts.size + N_STATUS:  # organization slots added
            self._hist = np.zeros((AUDIT_COPIES, model.counts.size + N_STATUS), np.int32)
        return audit_members(m.n, m.status, m.org, m.region, m.role, model.counts, m.jail,
                             m.n_jail, self._hist, self._keys, self._by_status)

    def _recount(self, model) -> list[str]:
        """The slot-by-slot member recount (:meth:`audit`) as messages."""
        problems = []
        m = model.members
        st = self._by_status
        differing, recounted, out_of_range, bad_jail = self.audit(model)
        got = (int(st[Status.ACTIVE]), int(st[Status.INCARCERATED]), int(st[Status.DEAD]),
               int(st[Status.EXITED]))
        want = (self.active, self.incarcerated, self.dead, self.exited)
        if got != want:
            problems.append(f"members: status counts {got} != event totals {want}")
        if self.initial_members + self.recruited != sum(got):
            problems.append("members: initial + recruited != active + incarcerated + dead + "
                            "exited (recounted)")
        if out_of_range:
            problems.append(f"members: {out_of_range} active members have an organization, "
                            "region or role outside the kept counts")
        if differing:
            problems.append(f"members: kept counts (total {int(model.counts.sum())}) differ "
                            f"from a recount (total {recounted}) in {differing} cells")
        if m.n_jail != got[1] or bad_jail:
            problems.append(f"members: jail list holds {m.n_jail}, {got[1]} incarcerated")
        return problems


def recount_week(model) -> bool:
    """Does this week's check recount every member slot? Every week at
    ``run.conservation_checks = 2``; at 1, every :data:`RECOUNT_WEEKS` weeks and in the
    run's last week."""
    t = model.week
    return (model.checks >= 2 or (t + 1) % RECOUNT_WEEKS == 0
            or t == model.config.weeks - 1)
