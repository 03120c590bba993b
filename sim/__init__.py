"""tocsim engine: an agent-based model of transnational organized crime.

Public API::

    from sim import load_scenario, run_scenario
    scn = load_scenario("scenarios/baseline.yaml")
    model = run_scenario(scn)
    df = model.metrics_frame()
"""

from .errors import ScenarioError
from .scenario import Scenario, default_scenario, from_dict, load_scenario

__version__ = "0.1.0"
__all__ = ["ScenarioError", "Scenario", "default_scenario", "from_dict", "load_scenario",
           "run_scenario", "TocModel", "__version__"]


def run_scenario(scenario: Scenario, progress=None, checks: bool | None = None):
    """Build and run a model for ``scenario``; return it (``.metrics_frame()`` for results)."""
    from .model import TocModel

    return TocModel(scenario, checks=checks).run(progress=progress)


def __getattr__(name):
    if name == "TocModel":
        from .model import TocModel

        return TocModel
    raise AttributeError(name)
