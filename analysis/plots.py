"""Plots of a run. Functions return a matplotlib ``Figure`` and never call ``show()``."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

PANELS = [
    ("Drug prices (USD/kg)", [("retail_price", "retail"), ("wholesale_price", "wholesale")], True),
    ("Drug flows (kg/week)", [("supply_shipped", "shipped"), ("consumption", "consumed"),
                              ("seizures", "seized")], False),
    ("Members (persons)", [("criminal_members", "active"), ("incarcerated", "incarcerated")], False),
    ("Violence (per week, 4-wk mean)", [("homicides", "homicides"),
                                         ("members_killed", "members killed")], False),
    ("Corruption rate (share of officials)", [("corruption_rate", "corrupt")], False),
    ("Criminal assets (USD bn)", [("criminal_wealth", "wealth"), ("laundered_assets", "laundered"),
                                  ("frozen_assets", "frozen")], False),
    ("Active organizations", [("active_cartels", "cartels"), ("active_gangs", "gangs")], False),
    ("Flow per week", [("arrests", "arrests"), ("recruits", "recruits")], False),
    ("Market structure", [("market_hhi", "HHI"), ("seizure_rate", "seizure share")], False),
]


def overview(ts, title: str = "tocsim run") -> plt.Figure:
    """A 3x3 dashboard of the main weekly metrics against years."""
    fig, axes = plt.subplots(3, 3, figsize=(15, 10), constrained_layout=True)
    years = ts["week"].to_numpy() / 52.0
    for ax, (name, series, logy) in zip(axes.flat, PANELS, strict=True):
        for col, label in series:
            y = ts[col].to_numpy(dtype=float)
            if "USD bn" in name:
                y = y / 1e9
            if "4-wk" in name:
                y = np.convolve(y, np.ones(4) / 4, mode="same")
            ax.plot(years, y, label=label, lw=1.3)
        ax.set_title(name, fontsize=10)
        ax.set_xlabel("year")
        if logy:
            ax.set_yscale("log")
        ax.grid(alpha=0.3)
        ax.legend(fontsize=8, loc="best")
    axes.flat[-1].set_ylim(bottom=0)
    fig.suptitle(title, fontsize=13)
    return fig


def note_overrides(fig: plt.Figure, overrides: dict | None) -> plt.Figure:
    """Add the ``--set`` overrides under the figure's title (a figure says what made it);
    nothing when there are none."""
    if not overrides:
        return fig
    import textwrap

    from sim.scenario import format_overrides

    note = "\n".join(textwrap.wrap("with --set " + format_overrides(overrides), 110))
    old = fig._suptitle.get_text() if fig._suptitle is not None else ""
    fig.suptitle(f"{old}\n{note}" if old else note, fontsize=9 if not old else None)
    return fig
