"""Conservation checks: drug mass, members and money, every week when switched on.

- Goods, per commodity: shipped = seized + sold + change in market stock (no stock is held
  in transit: lots that are not seized arrive the same week).
- Members: the status counts equal what the events imply (initial members plus recruits and
  returns, minus incarcerations, deaths and exits), and recruited + initial = active +
  incarcerated + dead + exited.
- Money: cash + laundered + frozen (all organizations) + seized by the state + abandoned by
  dissolved organizations = initial holdings + income - outflows.
"""

from __future__ import annotations

import numpy as np

from .enums import Status


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

    def members_event(self, *, recruited=0, incarcerated=0, died=0, exited=0, released=0,
                      returned=0):
        """Apply one batch of member events to the expected status counts."""
        self.recruited += recruited
        self.active += recruited + returned - incarcerated - died - exited
        self.incarcerated += incarcerated - released
        self.dead += died
        self.exited += exited + (released - returned)

    def goods(self, shipped, seized, sold, stock_change) -> None:
        err = np.abs(shipped - seized - sold - stock_change)
        scale = np.maximum(np.abs(shipped), 1.0)
        self.goods_error = float((err / scale).max())

    def check(self, model) -> list[str]:
        """Return a message for every identity that does not hold this week."""
        problems = []
        if self.goods_error > 1e-9:
            problems.append(f"goods: shipped != seized + sold + stock change (rel. error {self.goods_error:.2e})")
        st = model.members.count_status()
        got = (int(st[Status.ACTIVE]), int(st[Status.INCARCERATED]), int(st[Status.DEAD]),
               int(st[Status.EXITED]))
        want = (self.active, self.incarcerated, self.dead, self.exited)
        if got != want:
            problems.append(f"members: status counts {got} != event totals {want}")
        if self.initial_members + self.recruited != sum(got):
            problems.append("members: initial + recruited != active + incarcerated + dead + exited")
        from .kernels.members import count_active

        m = model.members
        fresh = np.zeros_like(model.counts)
        count_active(m.n, m.status, m.org, m.region, m.role, fresh)
        if not np.array_equal(fresh, model.counts):
            problems.append(f"members: kept counts (total {int(model.counts.sum())}) differ from a "
                            f"recount (total {int(fresh.sum())})")
        jailed = m.jail[: m.n_jail]
        if m.n_jail != got[1] or not (m.status[jailed] == Status.INCARCERATED).all():
            problems.append(f"members: jail list holds {m.n_jail}, {got[1]} incarcerated")
        o = model.orgs
        held = float(o.cash.sum() + o.laundered.sum() + o.frozen.sum())
        lhs = held + self.seized + self.abandoned
        rhs = self.initial_money + self.income - self.outflow
        if abs(lhs - rhs) > 1e-7 * max(abs(rhs), abs(self.income), 1.0):
            problems.append(f"money: holdings + seized + abandoned = {lhs:.6e} != initial + income - outflow = {rhs:.6e}")
        return problems
