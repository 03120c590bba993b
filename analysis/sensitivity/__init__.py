"""Sensitivity analysis with SALib: problem files, sampling and analysis, sweeps.

The samples run through the shared batch runner (:mod:`analysis.runner`), with its storage
and resume; see :func:`analysis.sensitivity.batch.run_sensitivity`.
"""

from .methods import METHODS, analyze, sample
from .problem import Problem, load_problem

__all__ = ["METHODS", "Problem", "analyze", "load_problem", "sample"]
