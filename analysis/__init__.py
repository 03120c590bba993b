"""Analysis of tocsim runs: plots, comparisons, sensitivity (uses ``sim`` through its API).

``compare`` and ``analyse`` (scenario comparison with replicates, see docs/COMPARE.md) are
imported on first use, so ``import analysis`` does not load Dask.
"""

__all__ = ["compare", "analyse"]


def __getattr__(name):
    if name in ("compare", "analyse"):
        from . import comparison

        return getattr(comparison, name)
    raise AttributeError(name)
