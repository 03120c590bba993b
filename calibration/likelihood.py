"""From weekly model output to yearly predictions of the data, their likelihood and bands.

For a target with observed values ``d_t`` (years ``t``), R replicate runs give yearly model
values ``y_rt`` (aggregated from weeks: sum, mean, or the value in the first or last week of
the year; counts of persons are divided by the scenario's ``scale``). The observation model
says the model's quantity is a ``share`` of the observed one, so the data are predicted as
``y / share``. On the log scale::

    log d  ~  Normal(mu, Sigma),   mu_t = mean_r log(y_rt / share)
    Sigma  =  diag(error_sd_log**2 + (1 + 1/R) v)  +  share_sd_log**2 * 1 1^T

where ``v`` is the replicates' variance of ``log y`` pooled over the target's years: it stands
for the model's own noise (a synthetic likelihood, after Wood 2010); the error term stands for
measurement and model error, and the common term for a share that is uncertain but the same
every year. The predictive bands draw from the same model: replicate,
shared share error, yearly error.

Range data (a figure known only to lie in ``[low, high]``): each year's log-likelihood is the
probability that the predicted observation falls in the range,
``log(Phi((log high - mu_t) / s) - Phi((log low - mu_t) / s))`` with
``s**2 = error_sd_log**2 + (1 + 1/R) v`` (interval censoring; the years are independent, so a
range target has no share error).
"""

from __future__ import annotations

import numpy as np

from .targets import ORG_SHARE, Series, Targets

FLOOR = 1e-9  # model values are floored (relative to the data's mean) before taking logs


def yearly(frame, targets: Targets, s: Series) -> np.ndarray:
    """The yearly model values of target ``s`` in one run's weekly ``frame`` (years of ``s``)."""
    col = s.spec.metric
    x = frame[col].to_numpy(dtype=float)
    start = targets.spec.spinup_weeks
    n_years = targets.weeks // 52
    x = x[start:start + 52 * n_years]
    if len(x) < 52 * n_years:
        raise ValueError(f"run has {len(x) + start} weeks, need {start + 52 * n_years}")
    w = x.reshape(n_years, 52)
    agg = s.spec.aggregate
    if agg == "yearly_sum":
        y = w.sum(axis=1)
    elif agg == "yearly_mean":
        y = w.mean(axis=1)
    elif agg == "year_start":
        y = w[:, 0]
    else:
        y = w[:, -1]
    if targets.extensive.get(s.name, False):
        y = y / targets.scale
    idx = s.years - targets.spec.start_year
    return y[idx]


def log_prediction(y: np.ndarray, s: Series) -> np.ndarray:
    """``log(y / share)`` with values floored above zero; ``y`` is [R, T]."""
    floor = FLOOR * float(np.mean(s.values))
    return np.log(np.maximum(y, floor) / s.spec.observation.share)


def loglik(y: np.ndarray, s: Series, mask: np.ndarray | None = None) -> float:
    """Log-likelihood of the data of ``s`` (years in ``mask``) given replicate values ``y``
    ([R, T]) under the target's observation model."""
    from scipy.stats import multivariate_normal

    mask = np.ones(len(s.years), bool) if mask is None else mask
    if not mask.any():
        return 0.0
    z = log_prediction(np.atleast_2d(y), s)
    R = z.shape[0]
    # the model's own noise: replicate variance pooled over the target's years (2 replicates
    # per year give too noisy a variance to weigh draws by), for one new realization plus
    # the error of the replicates' mean
    var = float(z.var(axis=0, ddof=1).mean()) * (1 + 1 / R) if R > 1 else 0.0
    z = z[:, mask]
    mu = z.mean(axis=0)
    obs = s.spec.observation
    if s.lows is not None:
        from scipy.special import log_ndtr

        sd = np.sqrt(obs.error_sd_log ** 2 + var)
        lo = (np.log(s.lows[mask]) - mu) / sd
        hi = (np.log(s.highs[mask]) - mu) / sd
        # log(Phi(hi) - Phi(lo)), stable in both tails: where the whole range lies above mu,
        # use the mirror image log(Phi(-lo) - Phi(-hi))
        flip = lo > 0
        lo, hi = np.where(flip, -hi, lo), np.where(flip, -lo, hi)
        top, bottom = log_ndtr(hi), log_ndtr(lo)
        return float(np.sum(top + np.log1p(-np.exp(bottom - top))))
    cov = np.diag(np.full(len(mu), obs.error_sd_log ** 2 + var)) + obs.share_sd_log ** 2
    return float(multivariate_normal(mu, cov).logpdf(np.log(s.values[mask])))


def predictive_draws(y: np.ndarray, s: Series, rng: np.random.Generator,
                     per_replicate: int = 50) -> np.ndarray:
    """Simulated observations ([R * per_replicate, T], natural scale) from replicate values
    ``y`` ([R, T]): each replicate plus a shared share error and yearly errors."""
    z = log_prediction(np.atleast_2d(y), s)
    obs = s.spec.observation
    R, T = z.shape
    common = rng.normal(0.0, obs.share_sd_log, size=(R, per_replicate, 1))
    yearly_err = rng.normal(0.0, obs.error_sd_log, size=(R, per_replicate, T))
    return np.exp(z[:, None, :] + common + yearly_err).reshape(R * per_replicate, T)


def weighted_quantiles(x: np.ndarray, w: np.ndarray, qs) -> np.ndarray:
    """Quantiles ``qs`` of the rows of ``x`` ([N, T]) with row weights ``w``: [len(qs), T]."""
    out = np.empty((len(qs), x.shape[1]))
    w = np.asarray(w, float)
    for t in range(x.shape[1]):
        order = np.argsort(x[:, t], kind="stable")
        cw = np.cumsum(w[order])
        cw = (cw - 0.5 * w[order]) / cw[-1]
        out[:, t] = np.interp(qs, cw, x[order, t])
    return out


BAND_QS = (0.05, 0.25, 0.5, 0.75, 0.95)


def bands(draws: np.ndarray, weights: np.ndarray) -> dict[str, np.ndarray]:
    q = weighted_quantiles(draws, weights, BAND_QS)
    return dict(zip(("q05", "q25", "q50", "q75", "q95"), q, strict=True))


def gof_rows(s: Series, b: dict[str, np.ndarray], ll: float, mask: np.ndarray,
             part: str) -> dict:
    """Goodness of fit of target ``s`` over the years in ``mask``: RMSE of the predictive
    median, coverage of the 50% and 90% bands, log-likelihood (given by the caller)."""
    d = s.values[mask]
    med = b["q50"][mask]
    in50 = (d >= b["q25"][mask]) & (d <= b["q75"][mask])
    in90 = (d >= b["q05"][mask]) & (d <= b["q95"][mask])
    return {"target": s.name, "part": part, "years": int(mask.sum()),
            "first_year": int(s.years[mask][0]), "last_year": int(s.years[mask][-1]),
            "rmse": float(np.sqrt(np.mean((d - med) ** 2))),
            "rmse_rel": float(np.sqrt(np.mean(((d - med) / d) ** 2))),
            "coverage_50": float(in50.mean()), "coverage_90": float(in90.mean()),
            "loglik": ll, "unit": s.spec.unit}


def is_org_share(metric: str) -> bool:
    return metric.startswith(ORG_SHARE)
