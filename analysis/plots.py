"""Plots of a run. Functions return a matplotlib ``Figure`` and never call ``show()``."""

from __future__ import annotations

from typing import TYPE_CHECKING

import matplotlib

matplotlib.use("Agg")  # for the modules that draw with pyplot after importing these helpers

if TYPE_CHECKING:
    from matplotlib.figure import Figure

PANELS = [
    ("Drug prices (USD/kg, 4-wk mean)",
     [("retail_price", "retail"), ("wholesale_price", "wholesale"), ("import_price", "import"),
      ("export_price", "export")], True),
    ("Drug flows (kg/week)", [("supply_shipped", "shipped"), ("consumption", "consumed"),
                              ("seizures", "seized")], False),
    ("Members (persons)", [("criminal_members", "active"), ("incarcerated", "incarcerated")],
     False),
    ("Violence (per week, 4-wk mean)", [("homicides", "homicides"),
                                         ("members_killed", "members killed")], False),
    ("Corruption rate (share of officials)", [("corruption_rate", "corrupt")], False),
    ("Criminal assets (USD bn)", [("criminal_wealth", "wealth"), ("laundered_assets", "laundered"),
                                  ("frozen_assets", "frozen")], False),
    ("Active organizations", [("active_cartels", "cartels"), ("active_gangs", "gangs")], False),
    ("Flow per week", [("arrests", "arrests"), ("recruits", "recruits")], False),
    ("Market structure", [("market_hhi", "HHI"), ("seizure_rate", "seizure share")], False),
]


# The overview's frame, in inches: fixed margins instead of constrained layout, which drew
# every text three times to place it (half of the plot's cost in `tocsim run`).
OVERVIEW_SIZE = (15.0, 10.0)
OVERVIEW_MARGINS = {"left": 0.6, "right": 0.15, "bottom": 0.5, "wspace": 0.75, "hspace": 0.75}
OVERVIEW_TITLE_LINE = 0.28  # height of one title line


def overview(ts, title: str = "tocsim run") -> Figure:
    """A 3x3 dashboard of the main weekly metrics against years.

    A bare ``Figure`` with the Agg canvas (not a pyplot figure: nothing to close, no global
    state) laid out with fixed margins."""
    fig = OverviewFrame(title, ts["week"].to_numpy())
    fig.fill(ts)
    return fig.figure


class OverviewFrame:
    """The overview's figure for a given title and week vector, filled with a run's metrics
    by :meth:`fill`; it can be filled again with another run's (same title and weeks) and then
    draws exactly what a new frame would, reusing the tick objects the last draw made
    (``analysis.plot_process`` warms one up this way while the model runs)."""

    def __init__(self, title: str, weeks) -> None:
        import numpy as np
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.figure import Figure
        from matplotlib.ticker import NullFormatter

        self.title, self.weeks = title, np.asarray(weeks)
        w, h = OVERVIEW_SIZE
        mg = OVERVIEW_MARGINS
        top = 0.15 + OVERVIEW_TITLE_LINE * (title.count("\n") + 1) + 0.3  # title, panel titles
        fig = self.figure = Figure(figsize=OVERVIEW_SIZE)
        FigureCanvasAgg(fig)
        axes = fig.subplots(3, 3)
        # wspace and hspace are fractions of the mean panel width and height
        pw = (w - mg["left"] - mg["right"] - 2 * mg["wspace"]) / 3
        ph = (h - top - mg["bottom"] - 2 * mg["hspace"]) / 3
        fig.subplots_adjust(left=mg["left"] / w, right=1 - mg["right"] / w,
                            bottom=mg["bottom"] / h, top=1 - top / h, wspace=mg["wspace"] / pw,
                            hspace=mg["hspace"] / ph)
        weeks = self.weeks
        self.short = short = len(weeks) < 52  # under a year: weeks read better than years
        self.years = years = weeks if short else weeks / 52.0
        self.lines = []
        nan = np.full(len(years), np.nan)
        for ax, (name, series, logy) in zip(axes.flat, PANELS, strict=True):
            # a run of a week or two: markers, else a single point draws nothing
            self.lines.append([ax.plot(years, nan, label=label, lw=1.3,
                                       marker="o" if len(years) < 3 else None)[0]
                               for _col, label in series])
            ax.set_title(name, fontsize=10)
            ax.set_xlabel("week" if short else "year")
            if short:
                ax.set_xlim(-0.5, max(weeks[-1], 1) + 0.5)
                ax.xaxis.get_major_locator().set_params(integer=True)
            if logy:
                # plain numbers (1 k, 10 k) rather than 10^3: readable, no mathtext to parse
                ax.set_yscale("log")
                plain_numbers(ax)
                ax.yaxis.set_minor_formatter(NullFormatter())
            ax.grid(alpha=0.3)
        fig.suptitle(title, fontsize=13, y=1 - 0.15 / h, va="top")

    def fits(self, title: str, weeks) -> bool:
        """Whether this frame is the one for ``title`` and ``weeks``."""
        import numpy as np

        return title == self.title and np.array_equal(np.asarray(weeks), self.weeks)

    def fill(self, ts) -> None:
        """Draw ``ts`` (its ``week`` column must be this frame's weeks) into the panels."""
        if not self.fits(self.title, ts["week"].to_numpy()):
            raise ValueError("the metrics' weeks are not this overview's weeks")
        axes = self.figure.axes
        for ax, lines, (name, series, logy) in zip(axes, self.lines, PANELS, strict=True):
            for line, (col, _label) in zip(lines, series, strict=True):
                y = ts[col].to_numpy(dtype=float)
                if "USD bn" in name:
                    y = y / 1e9
                if "4-wk" in name:  # centred 4-week mean; shorter at the ends and in short runs
                    y = ts[col].rolling(4, min_periods=1, center=True).mean().to_numpy(dtype=float)
                line.set_data(self.years, y)
            ax.relim()
            ax.set_autoscaley_on(True)
            ax.autoscale_view(scalex=not self.short)
            if logy:
                ax.legend(fontsize=8, loc="best")
            else:  # the legend in one row above the data (a legend placed "best" hid a line)
                lo, hi = ax.get_ylim()
                ax.set_ylim(lo, hi + 0.18 * (hi - lo))
                ax.legend(fontsize=8, loc="upper left", ncol=len(series), frameon=False)
        axes[-1].set_ylim(bottom=0)


# ---------------------------------------------------------------------------- shared helpers
LEVER_ALPHA = 0.08


def plain_numbers(ax, axis: str = "y") -> None:
    """Tick labels as plain numbers with k, M, bn suffixes: no offset or 1e7 notation."""
    from matplotlib.ticker import FuncFormatter

    def f(v, _pos):
        a = abs(v)
        for scale, suffix in ((1e9, " bn"), (1e6, " M"), (1e3, " k")):
            if a >= scale:
                return f"{v / scale:g}{suffix}"
        return f"{v:g}"

    target = ax.yaxis if axis == "y" else ax.xaxis
    target.set_major_formatter(FuncFormatter(f))


def mark_levers(ax, levers, weeks: int, colors: dict[str, str] | None = None,
                x_in_weeks: bool = False) -> None:
    """Shade each lever's funded period, mark its start (dashed) and its end (dotted, when it
    ends before the run's ``weeks``), labelled with its name; x in years unless
    ``x_in_weeks``."""
    scale = 1.0 if x_in_weeks else 52.0
    seen = set()
    for lv in levers:
        c = (colors or {}).get(lv.scenario, "#777777")
        a, b = lv.start / scale, lv.end / scale
        ax.axvspan(a, b, color=c, alpha=LEVER_ALPHA, lw=0)
        ax.axvline(a, color=c, ls="--", lw=0.9, alpha=0.8)
        if lv.end < weeks:
            ax.axvline(b, color=c, ls=":", lw=0.9, alpha=0.8)
        if (lv.name, lv.start) not in seen:
            seen.add((lv.name, lv.start))
            end = f"-{lv.end - 1}" if lv.end < weeks else " on"
            ax.annotate(f"{lv.name}: wk {lv.start}{end}", (a, 1.0),
                        xycoords=("data", "axes fraction"), xytext=(3, -10 - 9 * (len(seen) - 1)),
                        textcoords="offset points", fontsize=7, color=c)


def note_overrides(fig: Figure, overrides: dict | None) -> Figure:
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
