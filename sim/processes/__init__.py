"""The weekly processes of :class:`~sim.model.TocModel`, one module each, in step order.

Each module declares at its top what it keeps on the state between weeks (``KEEPS``) and has
one ``step(state)`` that gathers arrays from the state, calls its kernel (``sim/kernels``) and
writes back what happened. The order of the week is written once, in ``TocModel.step``.
"""

from . import (
    bookkeeping,
    conflict,
    corruption,
    enforcement,
    finance,
    leadership,
    markets,
    members,
    recruitment,
    shipping,
)

# The weekly order (interventions act first, in TocModel.step).
WEEKLY = (shipping, markets, corruption, finance, enforcement, conflict, members, leadership,
          recruitment, bookkeeping)

__all__ = ["WEEKLY", "bookkeeping", "conflict", "corruption", "enforcement", "finance",
           "leadership", "markets", "members", "recruitment", "shipping"]
