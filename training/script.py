"""Scripted exercises: play a whole decisions file (``exercises/<name>.decisions.yaml``) turn
by turn, for rehearsal, tests and the facilitator's alternative plans."""

from __future__ import annotations

from pathlib import Path

from sim.errors import ScenarioError

from .engine import Exercise, one_command_session
from .spec import LoadedExercise, Script, load_exercise, load_script


def play_script(exercise: str | Path | LoadedExercise, script: str | Path | Script,
                out: str | Path, label: str | None = None, turns: int | None = None,
                progress=None) -> Exercise:
    """Start a session in ``out`` and play ``script``: before each turn the injects listed
    under ``fire`` for it are fired, then every team's submission for it is submitted, the
    turn is locked and advanced. Plays all turns, or the first ``turns``. A script that fails
    part way (a submission outside the menu, say) or is interrupted leaves nothing in ``out``
    (:func:`training.engine.one_command_session`): fix it and run the same command again."""
    ex_loaded = exercise if isinstance(exercise, LoadedExercise) else load_exercise(exercise)
    if not isinstance(script, Script):
        label = label or str(script)
        script = load_script(script)
    label = label or "<script>"
    n = ex_loaded.spec.turns if turns is None else turns
    errs = [f"{label}: turns.{k}: the exercise has turns 1 to {ex_loaded.spec.turns}"
            for k in list(script.turns) + list(script.fire) if not 1 <= k <= ex_loaded.spec.turns]
    errs += [f"{label}: turns.{k}.{t}: unknown team {t!r}; valid: {', '.join(ex_loaded.teams)}"
             for k, subs in script.turns.items() for t in subs if t not in ex_loaded.teams]
    if errs:
        raise ScenarioError(errs)
    with one_command_session(out):  # a script that fails part way leaves nothing
        return _play(ex_loaded, script, out, label, n, progress)


def _play(ex_loaded, script, out, label, n, progress) -> Exercise:
    ex = Exercise.new(ex_loaded, out)
    for turn in range(1, n + 1):
        for name in script.fire.get(turn, []):
            if name not in ex.state["fired"]:
                ex.fire_inject(name)
        for team, sub in sorted(script.turns.get(turn, {}).items()):
            if sub.turn is None:
                sub = sub.model_copy(update={"turn": turn})
            ex.submit(team, sub, label=f"{label}: turns.{turn}.{team}")
        ex.lock()
        ex.advance()
        if progress is not None:
            progress(turn, n)
    return ex
