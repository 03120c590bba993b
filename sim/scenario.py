"""Scenario files: loading, inheritance (``extends:``), ``--set`` overrides and validation.

A scenario is YAML with these keys (all but ``name`` optional)::

    name: baseline
    description: what question it answers
    extends: other.yaml        # inherit; this file's keys override, interventions append
    seed: 42
    weeks: 520
    world: default             # or a YAML path, or {base:, regions: CSV, corridors: CSV}
    scale: 1.0                 # multiplies members, officials, demand, capacities, budgets
    params: {recruitment: {rate: 0.003}}   # nested overrides, each one validated
    interventions: []          # scheduled policy levers (see sim/interventions)

Every problem is reported as ``FILE: field.path: what is wrong``; loading raises
:class:`ScenarioError` with all of them.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from . import params as P
from . import yamlio
from .errors import ScenarioError, pydantic_lines
from .world import World, load_world

MAX_WEEKS = 52 * 200


MAX_NAME = 200  # the name is a folder name (out/<name>) plus a staging suffix: < 255 bytes


class ScenarioSpec(BaseModel):
    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)

    name: str = Field(min_length=1)
    description: str = ""
    seed: int = Field(default=0, ge=0, lt=2**63)
    weeks: int = Field(default=520, ge=1, le=MAX_WEEKS)
    world: str | dict[str, Any] = "default"
    scale: float = Field(default=1.0, gt=0, le=1000)
    params: dict[str, Any] = {}
    interventions: list[dict[str, Any]] = []

    @field_validator("name")
    @classmethod
    def _name_is_a_folder_name(cls, v: str) -> str:
        if len(v.encode()) > MAX_NAME:
            raise ValueError(f"at most {MAX_NAME} bytes (it names the output folder), got "
                             f"{len(v.encode())}")
        bad = sorted({c for c in v if ord(c) < 32 or c in '/\\\x7f'})
        if bad:
            raise ValueError("must not contain control characters or path separators, got "
                             + ", ".join(repr(c) for c in bad))
        if v.strip() in ("", ".", ".."):
            raise ValueError(f"{v!r} cannot name a folder")
        return v

    @field_validator("world")
    @classmethod
    def _world_ref(cls, v):
        if isinstance(v, str) and ("\x00" in v or not v.strip()):
            raise ValueError("expected 'default' or a file path")
        return v


@dataclass
class Scenario:
    """A validated scenario, ready to build a model from."""

    name: str
    description: str
    seed: int
    weeks: int
    world: World
    params: dict[str, dict[str, Any]]
    interventions: list[dict[str, Any]]
    source: str
    raw: dict[str, Any] = field(repr=False, default_factory=dict)
    overrides: dict[str, Any] = field(default_factory=dict)  # dotted path: value, as applied

    @property
    def hash(self) -> str:
        """SHA-256 of the resolved scenario (after inheritance and overrides) and its world."""
        blob = json.dumps(
            {"scenario": self.raw, "world": self.world.spec.model_dump(by_alias=True)},
            sort_keys=True,
            default=str,
        )
        return hashlib.sha256(blob.encode()).hexdigest()[:16]

    def with_overrides(self, dotted: dict[str, Any], option: str = "--set") -> Scenario:
        """A copy with fields set by dotted path (``params.recruitment.rate``,
        ``interventions.kingpin.budget``, ``weeks``), fully validated again.

        This is the one way a scenario is changed: ``--set`` (run, compare, sweep,
        sensitivity), ``sweep --vary`` and problem-file parameters all come here. Problems
        name ``option`` and the override, not the file: ``--set interventions.nope.budget=1:
        no list item 'nope' ...``. The copy remembers every override (``overrides``).
        """
        import copy

        raw = copy.deepcopy(self.raw)
        for path, value in dotted.items():
            set_dotted(raw, path, value, f"{option} {path}={_show(value)}")
        label = (f"{option} {next(iter(dotted))}={_show(next(iter(dotted.values())))}"
                 if len(dotted) == 1 else option)
        out = from_dict(raw, label)
        out.source = self.source
        out.overrides = {**self.overrides, **dotted}
        return out

    def with_params(self, overrides: dict) -> Scenario:
        """A copy with more parameter overrides given as ``{group: {name: value}}``
        (a shorthand for :meth:`with_overrides` with ``params.group.name`` paths)."""
        return self.with_overrides({f"params.{g}.{n}": v for g, grp in overrides.items()
                                    for n, v in grp.items()})

    def resolved_yaml(self) -> str:
        """The scenario after ``extends:`` and every override, as YAML that loads to the same
        scenario (``scenario.resolved.yaml`` in every output folder)."""
        head = [f"# {self.name}: resolved from {self.source} (extends: and overrides applied)"]
        if self.overrides:
            head.append("# overrides: " + ", ".join(f"{k}={_show(v)}"
                                                   for k, v in self.overrides.items()))
        body = yaml.safe_dump(_plain(self.raw), sort_keys=False, allow_unicode=True)
        return "\n".join(head) + "\n" + body


def _show(value: Any) -> str:
    """A value as a user would type it after ``--set path=``."""
    if isinstance(value, str):
        return value
    if isinstance(value, float):
        return f"{value:.10g}"
    return json.dumps(value, default=str)


def _plain(x: Any) -> Any:
    """Plain Python containers and scalars (for yaml.safe_dump)."""
    if isinstance(x, dict):
        return {str(k): _plain(v) for k, v in x.items()}
    if isinstance(x, list | tuple):
        return [_plain(v) for v in x]
    if isinstance(x, bool | int | float | str) or x is None:
        return x
    return str(x)


def format_overrides(overrides: dict[str, Any]) -> str:
    """``a.b=1, c=2``: overrides as one line (plot titles, report headings)."""
    return ", ".join(f"{k}={_show(v)}" for k, v in overrides.items())


def set_dotted(raw: dict, path: str, value: Any, label: str = "<override>") -> None:
    """Set ``value`` at a dotted ``path`` in a scenario dict, in place.

    Paths walk mappings by key and lists by index or by ``name``: ``params.recruitment.rate``,
    ``weeks``, ``interventions.0.budget``, ``interventions.kingpin.budget``. A missing
    mapping key is created (validation then says whether the field exists); a missing list
    item is an error naming ``label``.
    """
    parts = path.split(".")
    if not all(parts):
        raise ScenarioError(f"{label}: {path!r} is not a dotted path (empty part)")
    node: Any = raw
    for i, part in enumerate(parts[:-1]):
        where = ".".join(parts[: i + 1])
        if isinstance(node, list):
            node = _list_item(node, part, label, where)
        elif isinstance(node, dict):
            node = node.setdefault(part, {})
        else:
            raise ScenarioError(f"{label}: cannot descend into {where} (a "
                                f"{type(node).__name__})")
    last = parts[-1]
    if isinstance(node, list):
        idx = _list_index(node, last, label, path)
        node[idx] = value
    elif isinstance(node, dict):
        node[last] = value
    else:
        raise ScenarioError(f"{label}: cannot set a field of {'.'.join(parts[:-1])} (a "
                            f"{type(node).__name__})")


def has_item(raw: dict, path: str) -> bool:
    """Whether every list item that dotted ``path`` names exists in ``raw`` (so that
    :func:`set_dotted` would not fail on a missing item)."""
    import copy

    try:
        set_dotted(copy.deepcopy(raw), path, None)
    except ScenarioError:
        return False
    return True


def _list_index(items: list, part: str, label: str, where: str) -> int:
    if part.isdigit() and int(part) < len(items):
        return int(part)
    for i, item in enumerate(items):
        if isinstance(item, dict) and item.get("name") == part:
            return i
    names = [str(it.get("name")) for it in items if isinstance(it, dict) and it.get("name")]
    raise ScenarioError(f"{label}: no list item {part!r} in {where.rsplit('.', 1)[0]} (give an "
                        f"index < {len(items)}" + (f" or a name: {', '.join(names)})" if names
                                                   else ")"))


def _list_item(items: list, part: str, label: str, where: str):
    return items[_list_index(items, part, label, where)]


def _read(path: Path) -> dict:
    return yamlio.read_yaml(path)


MAX_EXTENDS = 16  # depth of an ``extends:`` chain


def _resolve_extends(path: Path, seen: tuple[Path, ...] = ()) -> dict:
    """Read ``path`` and the files it extends (iteratively: no recursion limit to hit), child
    keys overriding, interventions appended."""
    chain: list[tuple[Path, dict]] = []
    cur = path.resolve()
    while True:
        if cur in seen or any(cur == p for p, _ in chain):
            shown = " -> ".join(str(p) for p in [*seen, *(p for p, _ in chain), cur])
            raise ScenarioError(f"{cur}: extends: circular inheritance: {shown}")
        data = _read(cur)
        chain.append((cur, data))
        parent_ref = data.pop("extends", None)
        if parent_ref is None:
            break
        if not isinstance(parent_ref, str) or not parent_ref.strip() or "\x00" in parent_ref:
            raise ScenarioError(f"{cur}: extends: expected a file path, got "
                                f"{yamlio.shorten(parent_ref)}")
        if len(chain) >= MAX_EXTENDS:
            shown = " -> ".join(p.name for p, _ in chain)
            raise ScenarioError(f"{path}: extends: more than {MAX_EXTENDS} levels of "
                                f"inheritance: {shown} -> ...")
        parent_path = Path(parent_ref)
        if not parent_path.is_absolute():
            parent_path = cur.parent / parent_path
        try:
            is_file = parent_path.is_file()
        except (OSError, ValueError):
            is_file = False
        if not is_file:
            raise ScenarioError(f"{cur}: extends: file not found: "
                                f"{yamlio.shorten(str(parent_path), 200)[1:-1]}")
        cur = parent_path.resolve()
    merged: dict = {}
    for file, data in reversed(chain):  # the root first, each child on top
        child = _absolutize(data, file.parent)
        if not merged:
            merged = child
            continue
        parent = merged
        ivs = [parent.get("interventions"), child.get("interventions")]
        for iv in ivs:
            if iv is not None and not isinstance(iv, list):
                raise ScenarioError(f"{file}: interventions: expected a list, got "
                                    f"{yamlio.shorten(iv)}")
        merged = P.merge(parent, {k: v for k, v in child.items() if k != "interventions"})
        merged["interventions"] = list(ivs[0] or []) + list(ivs[1] or [])
    return merged


def _absolutize(data: dict, base: Path) -> dict:
    """Make world file references absolute so inherited scenarios resolve them correctly."""
    w = data.get("world")
    if isinstance(w, str) and w != "default" and not Path(w).is_absolute():
        data["world"] = str(base / w)
    elif isinstance(w, dict):
        def absolute(v):
            relative = isinstance(v, str) and v != "default" and not Path(v).is_absolute()
            return str(base / v) if relative else v

        data["world"] = {k: absolute(v) for k, v in w.items()}
    return data


def parse_set(items: list[str] | None, label: str = "--set") -> dict[str, Any]:
    """Turn ``["params.recruitment.rate=0.003", "interventions.kingpin.budget=2e7"]`` into
    ``{"params.recruitment.rate": 0.003, "interventions.kingpin.budget": 2e7}``: dotted paths
    (as :meth:`Scenario.with_overrides` takes them) and values read as YAML 1.2 scalars or
    flow collections (``2e7`` is a number, ``[A, B]`` a list, ``abc`` a string)."""
    out: dict[str, Any] = {}
    for item in items or []:
        key, sep, value = item.partition("=")
        key = key.strip()
        if not sep or not key or not all(key.split(".")):
            raise ScenarioError(f"{label} {item}: expected dotted.key=value")
        try:
            parsed = yamlio.load(value)
        except yaml.YAMLError:
            parsed = value
        out[key] = parsed
    return out


def load_scenario(
    path: str | Path,
    *,
    overrides: dict[str, Any] | None = None,
    seed: int | None = None,
    weeks: int | None = None,
) -> Scenario:
    """Load, resolve and validate a scenario file; raise :class:`ScenarioError` on bad input.

    ``overrides`` are dotted paths (see :func:`parse_set`), applied after ``extends:``,
    ``seed`` and ``weeks`` with :meth:`Scenario.with_overrides`; their problems name
    ``--set``."""
    path = Path(path)
    label = str(path)
    raw = _resolve_extends(path)
    if seed is not None:
        raw["seed"] = seed
    if weeks is not None:
        raw["weeks"] = weeks
    scn = from_dict(raw, label, base_dir=path.resolve().parent)
    return scn.with_overrides(overrides) if overrides else scn


def from_dict(raw: dict, label: str = "<scenario>", base_dir: Path | None = None) -> Scenario:
    """Validate a scenario given as a dict (the notebook path)."""
    base_dir = base_dir or Path.cwd()
    try:
        spec = ScenarioSpec.model_validate(raw)
    except ValidationError as exc:
        errors = pydantic_lines(exc, label, model=ScenarioSpec)
        if isinstance(raw.get("params"), dict):  # report parameter problems in the same pass
            errors += [f"{label}: {e}" for e in P.check_overrides(raw["params"])]
        raise ScenarioError(errors) from None
    errors = [f"{label}: {e}" for e in P.check_overrides(spec.params)]
    world = None
    try:
        world = load_world(spec.world, base_dir, label)
        if spec.scale != 1.0:
            world = world.scaled(spec.scale)
    except ScenarioError as exc:
        errors.extend(exc.lines)
    if world is not None and not errors:
        errors.extend(joint_problems(P.merge(P.defaults(), spec.params), world, label))
    if world is not None:
        from .interventions import check_interventions

        errors.extend(check_interventions(spec.interventions, world, label, spec.weeks))
    if errors:
        raise ScenarioError(errors)
    return Scenario(
        name=spec.name,
        description=spec.description,
        seed=spec.seed,
        weeks=spec.weeks,
        world=world,
        params=P.merge(P.defaults(), spec.params),
        interventions=spec.interventions,
        source=label,
        raw=spec.model_dump(),
    )


MAX_ATTRACTION = 100.0  # recruitment at most this many times its reference rate


def joint_problems(params: dict, world: World, label: str) -> list[str]:
    """Combinations of in-range parameters and world values that break the model together.

    - Recruitment pull ``(reference_wage / legit_wage) ** wage_elasticity`` (``step`` in
      sim/processes/recruitment.py) must stay at most MAX_ATTRACTION in every region:
      reference_wage 10,000 with wage_elasticity 5 asked for about 4e12 members in one week.
    """
    import numpy as np

    r = params["recruitment"]
    with np.errstate(over="ignore"):
        pull = (r["reference_wage"] / world.legit_wage) ** r["wage_elasticity"]
    worst = int(np.argmax(pull))
    if not pull[worst] <= MAX_ATTRACTION:
        return [f"{label}: params.recruitment: reference_wage {r['reference_wage']:g} with "
                f"wage_elasticity {r['wage_elasticity']:g} multiplies recruitment by "
                f"{pull[worst]:.3g} in {world.region_names[worst]} (legit_wage "
                f"{world.legit_wage[worst]:g}); together they must keep it at most "
                f"{MAX_ATTRACTION:g}"]
    return []


def default_scenario(weeks: int = 520, seed: int = 0) -> Scenario:
    """The baseline on the embedded default world, with no file needed."""
    return from_dict({"name": "default", "seed": seed, "weeks": weeks}, "<default>")
