"""Test models with known sensitivity indices, run through the same problem-file and runner
path as the simulation (a test hook): the Ishigami function."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class TestModel:
    name: str
    parameters: tuple[str, ...]
    outputs: tuple[str, ...]

    def evaluate(self, values: dict[str, float], seed: int, weeks: int):
        raise NotImplementedError


class Ishigami(TestModel):
    """f = sin x1 + a sin^2 x2 + b x3^4 sin x1 (a=7, b=0.1) on [-pi, pi]^3.

    Published indices (Ishigami & Homma 1990; Saltelli et al. 2008): S1 = 0.3139, 0.4424,
    0; ST = 0.5576, 0.4424, 0.2437. Returns a one-row frame with column ``y`` (and ``week``),
    so the same output aggregation as for simulation runs applies.
    """

    A, B = 7.0, 0.1

    def evaluate(self, values, seed, weeks):
        import pandas as pd

        x1, x2, x3 = (values.get(p, 0.0) for p in self.parameters)
        y = math.sin(x1) + self.A * math.sin(x2) ** 2 + self.B * x3**4 * math.sin(x1)
        return pd.DataFrame({"week": np.arange(1), "y": [y]})


ISHIGAMI_S1 = (0.3139, 0.4424, 0.0)
ISHIGAMI_ST = (0.5576, 0.4424, 0.2437)
TEST_MODELS = {"ishigami": Ishigami("ishigami", ("x1", "x2", "x3"), ("y",))}
