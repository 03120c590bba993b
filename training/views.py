"""What a team is told: delayed, noisy intelligence estimates, never the true state.

A team's view of a turn is, for each metric it is briefed on (and each region field in each of
its regions), the mean over the turn's weeks shifted back by ``delay_weeks`` (the latest data
it has), times a lognormal error ``exp(noise * z - noise**2 / 2)`` (mean one; ``z`` standard
normal). The errors come from a generator seeded by the session seed, the team's name and the
turn, apart from the model's streams: briefing a team changes nothing in the simulation, and
the same session gives the same briefings. The facilitator sees the true values.
"""

from __future__ import annotations

import zlib

import numpy as np
import pandas as pd


def _rng(seed: int, team: str, turn: int) -> np.random.Generator:
    key = zlib.crc32(f"view:{team}".encode())
    return np.random.default_rng(np.random.SeedSequence(entropy=seed, spawn_key=(key, turn)))


def estimate_window(start: int, end: int, delay: int) -> tuple[int, int]:
    """Weeks ``[a, b)`` a team's estimate of the weeks ``[start, end)`` is based on."""
    a, b = max(start - delay, 0), max(end - delay, 1)
    return a, max(b, a + 1)


def team_view(sees, seed: int, team: str, turn: int, start: int, end: int,
              metrics: pd.DataFrame, regions: pd.DataFrame) -> list[dict]:
    """Rows ``{item, region, estimate, weeks}`` of a team's briefing on weeks
    ``[start, end)`` (the turn just played)."""
    a, b = estimate_window(start, end, sees.delay_weeks)
    rng = _rng(seed, team, turn)
    rows = []
    m = metrics[(metrics["week"] >= a) & (metrics["week"] < b)]
    for name in sees.metrics:
        rows.append({"item": name, "region": "", "true": float(m[name].mean())})
    r = regions[(regions["week"] >= a) & (regions["week"] < b)]
    for reg in sees.regions:
        rr = r[r["region"] == reg]
        for f in sees.region_fields:
            rows.append({"item": f, "region": reg, "true": float(rr[f].mean())})
    z = rng.standard_normal(len(rows))
    s = sees.noise
    for row, zi in zip(rows, z, strict=True):
        row["estimate"] = row.pop("true") * float(np.exp(s * zi - s * s / 2))
        row["weeks"] = f"{a}-{b - 1}"
    return rows


def facilitator_view(start: int, end: int, metrics: pd.DataFrame, status_quo: pd.DataFrame,
                     names: list[str]) -> list[dict]:
    """True means over weeks ``[start, end)`` of the session and of its status-quo shadow."""
    m = metrics[(metrics["week"] >= start) & (metrics["week"] < end)]
    q = status_quo[(status_quo["week"] >= start) & (status_quo["week"] < end)]
    return [{"metric": n, "session": float(m[n].mean()), "status_quo": float(q[n].mean())}
            for n in names]
