"""Input errors: one line per problem, ``FILE: field.path: what is wrong``."""

from __future__ import annotations

from pydantic import ValidationError


class ScenarioError(Exception):
    """Bad input. ``lines`` holds one message per problem, each naming the file and field."""

    def __init__(self, lines: list[str] | str):
        self.lines = [lines] if isinstance(lines, str) else list(lines)
        super().__init__("\n".join(self.lines))


class ModelStopped(RuntimeError):
    """``step()`` on a model whose earlier week raised part way (a bug, a conservation check,
    Ctrl-C): its state is part of a week on, so it runs no more weeks. Mesa's own loop would
    advance the clock and run nothing, silently."""


class ModelLimitError(RuntimeError):
    """The model left the space it can represent (a size or value limit); the message names
    the quantity. Like a ConservationError it means a run stopped, never bad input."""


def loc_to_path(loc: tuple) -> str:
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += ("." if out else "") + str(part)
    return out or "(top level)"


def pydantic_lines(exc: ValidationError, file: str, prefix: str = "", model=None) -> list[str]:
    """Turn a pydantic error into ``FILE: path: message`` lines, listing valid keys for typos."""
    lines = []
    for err in exc.errors():
        loc = tuple(err["loc"])
        path = loc_to_path(((prefix,) if prefix else ()) + loc)
        msg = err["msg"].removeprefix("Value error, ")
        if err["type"] == "extra_forbidden":
            valid = _valid_keys(model, loc[:-1]) if model is not None else None
            msg = "unknown key" + (f"; valid: {', '.join(valid)}" if valid else "")
        lines.append(f"{file}: {path}: {msg}")
    return lines


def _valid_keys(model, loc: tuple) -> list[str] | None:
    """Walk a pydantic model class along ``loc`` and return the field names at that level."""
    import typing

    cur = model
    for part in loc:
        if isinstance(part, int):
            continue
        fields = getattr(cur, "model_fields", None)
        if fields is None or part not in fields:
            return None
        ann = fields[part].annotation
        cur = _inner_model(ann, typing)
        if cur is None:
            return None
    fields = getattr(cur, "model_fields", None)
    return list(fields) if fields else None


def _inner_model(ann, typing):
    if hasattr(ann, "model_fields"):
        return ann
    for arg in typing.get_args(ann):
        found = _inner_model(arg, typing)
        if found is not None:
            return found
    return None
