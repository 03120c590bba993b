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


def derive(s) -> None:
    """Rebuild every table the processes derive from parameters (the role shares, wages,
    exposures, fill shares, transport costs and interdiction rates by mode): at the build,
    when a model continues from a state, and whenever parameters change (``set_params``)."""
    from ..agents import role_share_table

    s.role_share = role_share_table(s.pars)
    for process in WEEKLY:
        if hasattr(process, "derive"):
            process.derive(s)

__all__ = ["WEEKLY", "derive", "bookkeeping", "conflict", "corruption", "enforcement", "finance",
           "leadership", "markets", "members", "recruitment", "shipping"]
