"""SALib sampling and analysis behind one interface, with the known traps guarded.

- ``calc_second_order`` is stored with the samples and reused by the analysis: SALib returns
  silently wrong Sobol indices when sampling and analysis disagree.
- Sobol's N must be a power of two (Sobol sequences lose their balance properties otherwise).
- Morris and FAST options used at sampling (levels, M) are reused at analysis.
"""

from __future__ import annotations

import numpy as np

from sim.errors import ScenarioError

METHODS = ("sobol", "morris", "fast", "rbd_fast", "delta", "pawn")


def sample_settings(method: str, options: dict, label: str = "<problem>") -> dict:
    """The settings that sampling and analysis must share, with defaults filled in."""
    n = int(options.get("n", 64))
    s = {"method": method, "n": n, "num_resamples": int(options.get("num_resamples", 100))}
    if method == "sobol":
        if n & (n - 1):
            raise ScenarioError(f"{label}: options.n: Sobol needs N a power of two, got {n} "
                                f"(try {1 << (n - 1).bit_length()})")
        s["calc_second_order"] = bool(options.get("calc_second_order", False))
    elif method == "morris":
        s["num_levels"] = int(options.get("num_levels", 4))
    elif method == "fast":
        s["m"] = int(options.get("m", 4))
        if n <= 4 * s["m"] ** 2:
            raise ScenarioError(f"{label}: options.n: FAST needs N > 4 M^2 = {4 * s['m'] ** 2}")
    elif method == "rbd_fast":
        s["m"] = int(options.get("m", 10))
    elif method == "pawn":
        s["s"] = int(options.get("s", 10))
    elif method != "delta":
        raise ScenarioError(f"{label}: method: unknown method {method!r}; valid: "
                            f"{', '.join(METHODS)}")
    return s


def sample(problem: dict, settings: dict, seed: int) -> np.ndarray:
    """The sample matrix (rows: samples, columns: problem['names'])."""
    m, n = settings["method"], settings["n"]
    if m == "sobol":
        from SALib.sample import sobol

        return sobol.sample(problem, n, calc_second_order=settings["calc_second_order"], seed=seed)
    if m == "morris":
        from SALib.sample import morris

        return morris.sample(problem, n, num_levels=settings["num_levels"], seed=seed)
    if m == "fast":
        from SALib.sample import fast_sampler

        return fast_sampler.sample(problem, n, M=settings["m"], seed=seed)
    from SALib.sample import latin

    return latin.sample(problem, n, seed=seed)


def analyze(problem: dict, settings: dict, X: np.ndarray, Y: np.ndarray, seed: int) -> list[dict]:
    """Indices as tidy rows: parameter, index, value, conf (95% half-width where SALib gives
    one)."""
    m = settings["method"]
    names = problem["names"]
    rows: list[dict] = []

    def add(index, values, confs=None, params=names):
        for i, p in enumerate(params):
            c = float(confs[i]) if confs is not None else float("nan")
            rows.append({"parameter": p, "index": index, "value": float(values[i]), "conf": c})

    R = settings["num_resamples"]
    if m == "sobol":
        from SALib.analyze import sobol

        s2 = settings["calc_second_order"]
        res = sobol.analyze(problem, Y, calc_second_order=s2, num_resamples=R, seed=seed)
        add("S1", res["S1"], res["S1_conf"])
        add("ST", res["ST"], res["ST_conf"])
        if s2:
            for i in range(len(names)):
                for j in range(i + 1, len(names)):
                    rows.append({"parameter": f"{names[i]}:{names[j]}", "index": "S2",
                                 "value": float(res["S2"][i, j]),
                                 "conf": float(res["S2_conf"][i, j])})
    elif m == "morris":
        from SALib.analyze import morris

        res = morris.analyze(problem, X, Y, num_levels=settings["num_levels"],
                             num_resamples=R, seed=seed)
        add("mu_star", res["mu_star"], res["mu_star_conf"])
        add("mu", res["mu"])
        add("sigma", res["sigma"])
    elif m == "fast":
        from SALib.analyze import fast

        res = fast.analyze(problem, Y, M=settings["m"], num_resamples=R, seed=seed)
        add("S1", res["S1"], res.get("S1_conf"))
        add("ST", res["ST"], res.get("ST_conf"))
    elif m == "rbd_fast":
        from SALib.analyze import rbd_fast

        res = rbd_fast.analyze(problem, X, Y, M=settings["m"], num_resamples=R, seed=seed)
        add("S1", res["S1"], res["S1_conf"])
    elif m == "delta":
        from SALib.analyze import delta

        res = delta.analyze(problem, X, Y, num_resamples=R, seed=seed)
        add("delta", res["delta"], res["delta_conf"])
        add("S1", res["S1"], res["S1_conf"])
    elif m == "pawn":
        from SALib.analyze import pawn

        res = pawn.analyze(problem, X, Y, S=settings["s"], seed=seed)
        add("pawn_median", res["median"])
        add("pawn_max", res["maximum"])
    return rows
