"""Statistics of replicated runs: t-intervals for means, for paired or independent
differences, and for cost-effectiveness ratios (delta method).

Every function takes one value per replicate (numpy arrays) and returns plain floats, so it can
be checked against textbook answers (see ``tests/test_compare_stats.py``).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.special import stdtr, stdtrit  # Student t CDF and quantile (lighter than stats)

LEVEL = 0.95


@dataclass(frozen=True)
class Interval:
    """An estimate with its confidence interval, spread, sample size and p-value (of the
    estimate being zero; NaN where not meaningful)."""

    estimate: float
    lo: float
    hi: float
    sd: float
    n: int
    p_value: float = float("nan")

    @property
    def half_width(self) -> float:
        return (self.hi - self.lo) / 2


NAN = Interval(np.nan, np.nan, np.nan, np.nan, 0)


def _clean(x) -> np.ndarray:
    x = np.asarray(x, dtype=float)
    return x[np.isfinite(x)]


def mean_interval(x, level: float = LEVEL) -> Interval:
    """Mean of ``x`` with the Student-t interval ``mean +- t(n-1) * sd / sqrt(n)``, and the
    p-value of a one-sample t-test of mean zero."""
    x = _clean(x)
    n = x.size
    if n == 0:
        return NAN
    m = float(x.mean())
    if n == 1:
        return Interval(m, np.nan, np.nan, np.nan, 1)
    sd = float(x.std(ddof=1))
    se = sd / np.sqrt(n)
    if se == 0:
        return Interval(m, m, m, 0.0, n, 1.0 if m == 0 else 0.0)
    half = float(stdtrit(n - 1, 0.5 + level / 2)) * se
    p = float(2 * stdtr(n - 1, -abs(m) / se))
    return Interval(m, m - half, m + half, sd, n, p)


def paired_difference(x, y, level: float = LEVEL) -> Interval:
    """Mean of ``x - y`` over pairs (replicate r of both scenarios shares a seed): the
    t-interval of the per-pair differences, and the paired t-test's p-value. Pairs with a
    missing value on either side are dropped."""
    x, y = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    ok = np.isfinite(x) & np.isfinite(y)
    return mean_interval(x[ok] - y[ok], level)


def welch_difference(x, y, level: float = LEVEL) -> Interval:
    """Difference of means ``mean(x) - mean(y)`` of independent samples: Welch's interval
    with Welch-Satterthwaite degrees of freedom, and Welch's t-test p-value. ``sd`` is the
    standard error times sqrt(n) of the smaller sample, comparable to a paired ``sd``."""
    x, y = _clean(x), _clean(y)
    nx, ny = x.size, y.size
    if nx < 2 or ny < 2:
        return NAN
    d = float(x.mean() - y.mean())
    vx, vy = x.var(ddof=1) / nx, y.var(ddof=1) / ny
    se = float(np.sqrt(vx + vy))
    n = min(nx, ny)
    if se == 0:
        return Interval(d, d, d, 0.0, n, 1.0 if d == 0 else 0.0)
    df = (vx + vy) ** 2 / (vx**2 / (nx - 1) + vy**2 / (ny - 1))
    half = float(stdtrit(df, 0.5 + level / 2)) * se
    p = float(2 * stdtr(df, -abs(d) / se))
    return Interval(d, d - half, d + half, se * np.sqrt(n), n, p)


def difference(x, y, paired: bool, level: float = LEVEL) -> Interval:
    """:func:`paired_difference` or :func:`welch_difference`."""
    return paired_difference(x, y, level) if paired else welch_difference(x, y, level)


def ratio_of_differences(
    num_x, num_y, den_x, den_y, paired: bool, scale: float = 1.0, level: float = LEVEL,
) -> tuple[float, float, float]:
    """``R = mean(num_x - num_y) / (mean(den_x - den_y) / scale)`` with a t-interval from the
    linearization of the ratio (the delta method for a ratio estimator).

    Used for cost-effectiveness: the change in an outcome per ``scale`` USD of added cost.
    Per replicate, ``z = num - R * den / scale`` has mean zero at the estimate; the interval is
    ``R +- t * se(z_x - z_y) / (mean cost difference / scale)``, paired or Welch like the other
    differences. When the cost is the same in every replicate (a fixed budget) this is exactly
    the interval of the outcome's difference divided by the cost. Returns NaN if the mean cost
    difference is not positive, and NaN bounds if the cost difference's own interval includes
    zero (the ratio then has no finite interval: Fieller's problem).
    """
    nx, ny, dx, dy = (np.asarray(a, dtype=float) for a in (num_x, num_y, den_x, den_y))
    cost = difference(dx / scale, dy / scale, paired, level)
    if not np.isfinite(cost.estimate) or cost.estimate <= 0:
        return np.nan, np.nan, np.nan
    est = float((nx.mean() - ny.mean()) / cost.estimate)
    if not cost.lo > 0:
        return est, np.nan, np.nan
    z = difference(nx - est * dx / scale, ny - est * dy / scale, paired, level)
    half = z.half_width / cost.estimate
    return est, est - half, est + half


# ---------------------------------------------------------------------------- many at once
def interval_rows(d: np.ndarray, level: float = LEVEL) -> dict[str, np.ndarray]:
    """:func:`mean_interval` of every row of ``d`` (rows: weeks, columns: replicates) at
    once, NaNs dropped per row: ``estimate``, ``lo``, ``hi`` and ``n`` arrays."""
    d = np.asarray(d, dtype=float)
    ok = np.isfinite(d)
    n = ok.sum(axis=1)
    z = np.where(ok, d, 0.0)
    with np.errstate(invalid="ignore", divide="ignore"):
        m = z.sum(axis=1) / n
        var = (np.where(ok, d - m[:, None], 0.0) ** 2).sum(axis=1) / (n - 1)
        se = np.sqrt(var / n)
        t = stdtrit(np.maximum(n - 1, 1), 0.5 + level / 2)
        half = np.where(n >= 2, t * se, np.nan)
    return {"estimate": m, "lo": m - half, "hi": m + half, "n": n}


def welch_rows(x: np.ndarray, y: np.ndarray, level: float = LEVEL) -> dict[str, np.ndarray]:
    """:func:`welch_difference` of every row of ``x`` and ``y`` (independent replicates)."""
    x, y = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    with np.errstate(invalid="ignore", divide="ignore"):
        nx, ny = np.isfinite(x).sum(axis=1), np.isfinite(y).sum(axis=1)
        mx, my = np.nanmean(x, axis=1), np.nanmean(y, axis=1)
        vx, vy = np.nanvar(x, axis=1, ddof=1) / nx, np.nanvar(y, axis=1, ddof=1) / ny
        se = np.sqrt(vx + vy)
        df = (vx + vy) ** 2 / (vx**2 / (nx - 1) + vy**2 / (ny - 1))
        half = np.where(se > 0, stdtrit(np.where(np.isfinite(df), df, 1), 0.5 + level / 2) * se,
                        0.0)
        half = np.where((nx >= 2) & (ny >= 2), half, np.nan)
    d = mx - my
    return {"estimate": d, "lo": d - half, "hi": d + half, "n": np.minimum(nx, ny)}


def holm(p) -> np.ndarray:
    """Holm's step-down adjusted p-values (family-wise error rate); NaNs are left out of the
    family and stay NaN."""
    p = np.asarray(p, dtype=float)
    out = np.full(p.shape, np.nan)
    ok = np.isfinite(p)
    q = p[ok]
    m = q.size
    if m:
        order = np.argsort(q, kind="stable")
        adj = np.maximum.accumulate((m - np.arange(m)) * q[order])
        res = np.empty(m)
        res[order] = np.minimum(adj, 1.0)
        out[ok] = res
    return out


def benjamini_hochberg(p) -> np.ndarray:
    """Benjamini-Hochberg adjusted p-values (false discovery rate), by
    ``scipy.stats.false_discovery_control``; NaNs are left out of the family and stay NaN."""
    from scipy.stats import false_discovery_control

    p = np.asarray(p, dtype=float)
    out = np.full(p.shape, np.nan)
    ok = np.isfinite(p)
    if ok.any():
        out[ok] = false_discovery_control(p[ok], method="bh")
    return out
