"""Helpers shared by several levers."""

import math

import numpy as np


def saturating(x: float) -> float:
    """1 - exp(-x): diminishing returns to money."""
    return 1.0 - math.exp(-x)


def population_dose(level: float, mask: np.ndarray, population: np.ndarray,
                    per: float) -> np.ndarray:
    """Million USD/week reaching each target region, spread by population, per ``per``
    residents (0 outside ``mask``)."""
    pop = np.where(mask, population, 0.0)
    total = pop.sum()
    if total <= 0:
        return np.zeros_like(pop)
    return np.where(mask, level * (pop / total) / np.maximum(population / per, 1e-9), 0.0)


def saturating_array(x: np.ndarray) -> np.ndarray:
    """Element-wise 1 - exp(-x)."""
    return 1.0 - np.exp(-x)


class LaggedEffect:
    """An effect that moves toward its target by 1/lag_weeks each week (programmes take time)."""

    def __init__(self, size: int, lag_weeks: float):
        self.value = np.zeros(size)
        self.lag = max(float(lag_weeks), 1.0)

    def update(self, target: np.ndarray) -> np.ndarray:
        self.value += (target - self.value) / self.lag
        return self.value


class LaggedLever:
    """Mixin for levers whose effect builds with a lag (``self.effect``) and keeps evolving
    after funding stops: ``_push(model, target)`` applies the effect moving toward ``target``."""

    def apply(self, model, t):
        cost = super().apply(model, t)
        if self.last_level <= 0.0 and self.effect.value.any():
            self._push(model, np.zeros_like(self.effect.value))  # fade after the funding ends
        return cost
