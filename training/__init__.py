"""Turn-by-turn training exercises built on the tocsim engine (see docs/TRAINING.md).

``Exercise`` (training.engine) runs a session; ``debrief`` (training.debrief) runs the
counterfactuals and writes debrief.html. Both are imported on first use.
"""

__all__ = ["Exercise", "replay", "debrief", "load_exercise"]


def __getattr__(name):
    if name in ("Exercise", "replay"):
        from . import engine

        return getattr(engine, name)
    if name == "debrief":
        from .debrief import debrief

        return debrief
    if name == "load_exercise":
        from .spec import load_exercise

        return load_exercise
    raise AttributeError(name)
