"""The explorer's pictures: the map of the world and the charts of key metrics.

Both take a :class:`~tocsim.web.model_view.Snapshot` (plain arrays) and return a matplotlib
``Figure`` built without pyplot (safe in any thread, nothing left open); :func:`png` turns one
into bytes for the page.

The map is drawn in longitude/latitude (an equirectangular projection whose aspect is
corrected by the cosine of the mean latitude, so shapes are not stretched) when every region
has coordinates; otherwise missing regions sit on a deterministic ring (see
:func:`~tocsim.web.model_view.geometry`) and the axes say "schematic". No coastlines: the
explorer works offline and the regions are the model's, not countries' borders.
"""

from __future__ import annotations

import io
import math

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.colors import Normalize
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.ticker import MaxNLocator

from . import model_view as mv

MODE_STYLE = {"land": ("#8c6d31", "-"), "sea": ("#2b6cb0", "-"), "air": ("#7b3294", "--")}
MAX_WIDTH = 9.0  # points: the widest corridor
CMAPS = {"homicides": "Reds", "corruption": "Purples"}


def png(fig: Figure, dpi: int = 90) -> bytes:
    """The figure as PNG bytes."""
    FigureCanvasAgg(fig)
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=dpi)
    return buf.getvalue()


def _colour_scale(snap: mv.Snapshot, colouring: str) -> tuple[float, float]:
    if colouring == "corruption":
        return 0.0, 1.0  # a share
    return 0.0, max(snap.homicide_rate_max, 1.0)  # the largest regional rate so far


def draw_map(geo: mv.Geometry, snap: mv.Snapshot, colouring: str = "homicides") -> Figure:
    """Regions at their coordinates coloured by ``colouring`` (homicides or corruption),
    corridors as lines whose width is proportional to last week's flow."""
    label, unit = mv.REGION_COLOURINGS[colouring]
    x, y = geo.x, geo.y
    lat0 = float(np.mean(y)) if geo.geographic else 0.0
    aspect = 1.0 / max(math.cos(math.radians(lat0)), 0.2) if geo.geographic else 1.0
    pad_x = 0.05 * float(np.ptp(x) or 1.0) + (2.0 if geo.geographic else 0.0)
    pad_y = 0.06 * float(np.ptp(y) or 1.0) + (2.0 if geo.geographic else 0.0)
    xlim = (x.min() - pad_x, x.max() + pad_x)
    ylim = (y.min() - pad_y, y.max() + 2.2 * pad_y)  # room for the top labels
    w, h = xlim[1] - xlim[0], (ylim[1] - ylim[0]) * aspect
    width_in = 6.8
    ax_w = 0.78 * width_in
    ax_h = min(max(ax_w * h / w, 3.2), 7.0)
    bottom, top = 1.0, 0.35  # inches: axis label and corridor legend; title
    height_in = ax_h + bottom + top
    fig = Figure(figsize=(width_in, height_in))
    canvas = FigureCanvasAgg(fig)
    ax = fig.add_axes((0.07, bottom / height_in, 0.78, ax_h / height_in))
    cax = fig.add_axes((0.88, (bottom + 0.15 * ax_h) / height_in, 0.02, 0.7 * ax_h / height_in))
    ax.set_aspect(aspect, adjustable="datalim" if not geo.geographic else "box")
    ax.set_xlim(*xlim)
    ax.set_ylim(*ylim)
    flow = snap.flow if snap.flow is not None else np.zeros(len(geo.corridor_ends))
    fmax = float(flow.max()) if flow.size and flow.max() > 0 else 0.0
    for k in np.argsort(flow, kind="stable"):  # the busiest corridors on top
        a, b = geo.corridor_ends[k]
        colour, style = MODE_STYLE.get(geo.corridor_mode[k], ("grey", "-"))
        f = flow[k] / fmax if fmax > 0 else 0.0
        ax.plot([x[a], x[b]], [y[a], y[b]], style, color=colour, lw=0.6 + MAX_WIDTH * f,
                alpha=0.35 + 0.5 * f if f > 0 else 0.2, solid_capstyle="round", zorder=1)
    values = snap.region_values(colouring)
    vmin, vmax = _colour_scale(snap, colouring)
    size = 40 + 260 * np.sqrt(geo.population / max(geo.population.max(), 1.0))
    shown = np.full(len(x), vmin) if values is None else np.where(np.isfinite(values), values,
                                                                    vmin)
    sc = ax.scatter(x, y, s=size, c=shown, cmap=CMAPS[colouring], norm=Normalize(vmin, vmax),
                    edgecolors="#222222", linewidths=0.8, zorder=3)
    _place_labels(ax, canvas, geo, size)
    cb = fig.colorbar(sc, cax=cax)
    cb.set_label(f"{label} ({unit})", fontsize=8)
    cb.ax.tick_params(labelsize=7)
    handles = [Line2D([], [], color=c, ls=s, lw=2, label=m) for m, (c, s) in MODE_STYLE.items()
               if m in geo.corridor_mode]
    handles.append(Line2D([], [], color="black", lw=0.6 + MAX_WIDTH, alpha=0.4,
                          label=f"widest: {fmax:,.0f} kg-eq./week" if fmax > 0 else
                          "no flow yet"))
    fig.legend(handles=handles, loc="lower center", ncol=len(handles), fontsize=7,
               frameon=False, title="corridors (width = last week's flow)", title_fontsize=7,
               bbox_to_anchor=(0.46, 0.0))
    ax.set_title(f"Week {snap.week} of {snap.weeks}: regions coloured by {label}", fontsize=10)
    if geo.geographic:
        ax.set_xlabel("longitude (degrees east)", fontsize=8)
        ax.set_ylabel("latitude (degrees north)", fontsize=8)
        ax.tick_params(labelsize=7)
        ax.grid(True, lw=0.3, alpha=0.5)
    else:
        ax.set_xticks([])
        ax.set_yticks([])
        ax.set_xlabel("schematic layout: the world gives no coordinates"
                      + (" for some regions" if geo.placed.any() else ""), fontsize=8)
    return fig


# label positions tried around a region, in order: (dx, dy) in units of the marker radius
_NEAR = ((0, 1), (1, 0), (-1, 0), (0, -1), (1, 1), (-1, 1), (1, -1), (-1, -1))
_LABEL_SPOTS = _NEAR + tuple((2.2 * dx, 2.2 * dy) for dx, dy in _NEAR) + tuple(
    (3.6 * dx, 3.6 * dy) for dx, dy in _NEAR)


def _place_labels(ax, canvas, geo: mv.Geometry, size: np.ndarray) -> None:
    """Greedy, deterministic label placement: the most populous regions first, each label at
    the first spot around its marker that overlaps no label already placed (else the first)."""
    renderer = canvas.get_renderer()
    ax.apply_aspect()
    fs = 8.5 if len(geo.names) <= 20 else 6.5
    taken = []
    for r in np.argsort(-geo.population, kind="stable"):
        rad = math.sqrt(size[r]) / 2 + 2  # points
        first = None
        for dx, dy in _LABEL_SPOTS:
            ha = "left" if dx > 0 else "right" if dx < 0 else "center"
            va = "bottom" if dy > 0 else "top" if dy < 0 else "center"
            t = ax.annotate(geo.names[r], (geo.x[r], geo.y[r]), xytext=(dx * rad, dy * rad),
                            textcoords="offset points", ha=ha, va=va, fontsize=fs, zorder=4,
                            bbox=dict(boxstyle="round,pad=0.12", fc="white", ec="none",
                                      alpha=0.75))
            bb = t.get_window_extent(renderer).expanded(1.04, 1.1)
            if not any(bb.overlaps(o) for o in taken):
                taken.append(bb)
                if abs(dx) > 1 or abs(dy) > 1:  # far from its marker: a leader line
                    ax.annotate("", (geo.x[r], geo.y[r]), xytext=(dx * rad, dy * rad),
                                textcoords="offset points", zorder=3.5,
                                arrowprops=dict(arrowstyle="-", color="#555555", lw=0.6,
                                                shrinkA=0, shrinkB=rad * 0.6))
                if first is not None:
                    first.remove()
                break
            if first is None:
                first = t
            else:
                t.remove()
        else:
            taken.append(first.get_window_extent(renderer))


def draw_charts(snap: mv.Snapshot, lever_weeks: list[tuple[str, int]] = ()) -> Figure:
    """The key metrics week by week, on a fixed x axis (the whole run), with a dashed line at
    the start week of each lever."""
    names = list(snap.series) or list(mv.KEY_METRICS)
    ncol = 2
    nrow = math.ceil(len(names) / ncol)
    height = 1.75 * nrow + 0.6
    fig = Figure(figsize=(5.0, height))
    fig.subplots_adjust(left=0.12, right=0.985, top=1 - 0.6 / height, bottom=0.45 / height,
                        hspace=0.55, wspace=0.36)
    axes = fig.subplots(nrow, ncol, sharex=True, squeeze=False).ravel()
    for ax, name in zip(axes, names, strict=False):
        v = snap.series.get(name, np.zeros(0))
        ax.plot(np.arange(v.size), v, color="#1f4e79", lw=1.2)
        if v.size:
            ax.plot([v.size - 1], [v[-1]], "o", color="#c0392b", ms=3.5)
        for _lever, wk in lever_weeks:
            if 0 <= wk <= snap.weeks:
                ax.axvline(wk, color="#e67e22", ls="--", lw=0.8)
        ax.set_title(mv.metric_label(name), fontsize=9)
        ax.set_xlim(0, max(snap.weeks, 1))
        ax.tick_params(labelsize=8)
        ax.ticklabel_format(axis="y", style="sci", scilimits=(-3, 5))
        ax.yaxis.get_offset_text().set_fontsize(8)
        ax.yaxis.set_major_locator(MaxNLocator(4))
        ax.xaxis.set_major_locator(MaxNLocator(5, steps=[1, 2, 5, 10], integer=True))
        ax.grid(True, lw=0.3, alpha=0.5)
    for ax in axes[len(names):]:
        ax.set_visible(False)
    for ax in axes[-ncol:]:
        ax.set_xlabel("week", fontsize=8)
    title = f"Week {snap.week} of {snap.weeks}"
    if lever_weeks:
        title += " (dashed: a lever starts)"
    fig.suptitle(title, fontsize=10)
    return fig
