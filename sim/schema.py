"""JSON Schema of scenario files, generated from the declared parameters (``sim.params``) and
intervention types (``sim.interventions``), so that editors complete and check scenarios.

``tocsim schema scenario --out scenario.schema.json`` writes it; with the YAML language server,
a first line ``# yaml-language-server: $schema=scenario.schema.json`` in a scenario file turns
it on. The schema checks structure, names, types and ranges; what it cannot express (a region
that exists only in a custom world, a corridor that must join two regions, ``end_week`` after
``start_week``) is still checked by ``tocsim validate``.
"""

from __future__ import annotations

from typing import Any

DRAFT = "https://json-schema.org/draft/2020-12/schema"


def _param_schema(p, name: str) -> dict[str, Any]:
    return {"type": "integer" if p.kind is int else "number", "minimum": p.lo, "maximum": p.hi,
            "default": p.kind(p.default),
            "description": f"{p.doc} [{p.unit}], range {p.lo:g}-{p.hi:g}; source: {p.source}"}


def _params_schema() -> dict[str, Any]:
    from .params import PARAMS

    groups = {}
    for g, grp in PARAMS.items():
        groups[g] = {"type": "object", "additionalProperties": False,
                     "description": f"parameters of {g}",
                     "properties": {n: _param_schema(p, n) for n, p in grp.items()}}
    return {"type": "object", "additionalProperties": False,
            "description": "model parameters to override, by group and name (tocsim list "
            "--params)", "properties": groups}


def _targets_schema(regions: list[str], orgs: list[str]) -> dict[str, Any]:
    from .enums import REGION_ROLE_BITS

    names = {"type": "array", "items": {"type": "string"}}
    corridor = {"anyOf": [
        {"type": "string", "description": "'A-B' with two region names"},
        {"type": "object", "additionalProperties": False, "required": ["from", "to"],
         "properties": {"from": {"type": "string"}, "to": {"type": "string"}}}]}
    return {
        "type": "object", "additionalProperties": False,
        "description": "what the lever acts on (default: everywhere)",
        "properties": {
            "regions": {**names, "description": "region names or roles",
                        "items": {"type": "string",
                                  "examples": list(REGION_ROLE_BITS) + regions}},
            "corridors": {"type": "array", "items": corridor,
                          "description": "corridors, both directions"},
            "organizations": {**names, "description": "organization names",
                              "items": {"type": "string", "examples": orgs}},
            "kinds": {"type": "array", "items": {"enum": ["cartel", "gang"]}},
            "top_n": {"type": "integer", "minimum": 1,
                      "description": "the N organizations with the highest threat score"},
        },
    }


def _lever_schema(cls, targets: dict[str, Any]) -> dict[str, Any]:
    from .interventions.base import AFTER_END

    weeks = {"type": "integer", "minimum": 0}
    intensity: dict[str, Any] = {"type": "number", "minimum": 0,
                                 "description": f"level in the type's unit: {cls.unit}"}
    if cls.max_intensity is not None:
        intensity["maximum"] = cls.max_intensity
    props: dict[str, Any] = {
        "type": {"const": cls.type},
        "name": {"type": "string", "minLength": 1,
                 "description": "unique name (for --set interventions.NAME.field=...)"},
        "start_week": {**weeks, "description": "first week it acts (0-based)"},
        "end_week": {**weeks, "description": "last week it is funded (default: the run's end)"},
        "ramp_weeks": {**weeks, "description": "weeks to reach full strength"},
        "budget": {"type": "number", "minimum": 0,
                   "description": f"USD per week ({cls.unit_cost:,.0f} USD/week per unit of "
                   f"{cls.unit})"},
        "intensity": intensity,
        "after_end": {"enum": list(AFTER_END), "default": cls.default_after_end},
        "decay_rate": {"type": "number", "minimum": 0, "default": 0.02,
                       "description": "per week, for after_end: decay"},
        "targets": targets,
    }
    for key, values in cls.choices.items():
        props[key] = {"enum": list(values), "default": values[0]}
    for key, p in cls.params.items():
        props[key] = _param_schema(p, key)
    doc = (cls.__doc__ or "").strip().splitlines()
    return {"type": "object", "additionalProperties": False, "required": ["type"],
            "description": doc[0] if doc else cls.type, "properties": props,
            "oneOf": [{"required": ["budget"], "not": {"required": ["intensity"]}},
                      {"required": ["intensity"], "not": {"required": ["budget"]}}]}


def scenario_schema() -> dict[str, Any]:
    """The JSON Schema (draft 2020-12) of a scenario file."""
    from .interventions import REGISTRY
    from .scenario import MAX_WEEKS
    from .world import load_world

    world = load_world("default", None, "<default>")
    targets = _targets_schema(list(world.region_names), list(world.org_names))
    defs = {f"lever_{name}": _lever_schema(cls, targets) for name, cls in sorted(REGISTRY.items())}
    lever = {"type": "object", "required": ["type"],
             "properties": {"type": {"enum": sorted(REGISTRY)}},
             "allOf": [{"if": {"properties": {"type": {"const": name}}, "required": ["type"]},
                        "then": {"$ref": f"#/$defs/lever_{name}"}} for name in sorted(REGISTRY)]}
    world_ref = {"anyOf": [
        {"type": "string", "description": "'default' or a world YAML file"},
        {"type": "object", "additionalProperties": False,
         "properties": {"base": {"type": "string"}, "regions": {"type": "string"},
                        "corridors": {"type": "string"}},
         "description": "a base world with regions and/or corridors replaced by CSV files"}]}
    return {
        "$schema": DRAFT,
        "title": "tocsim scenario",
        "description": "A tocsim scenario file (docs/ODD.md, tocsim list). Generated by "
        "`tocsim schema scenario`.",
        "type": "object",
        "additionalProperties": False,
        "anyOf": [{"required": ["name"]}, {"required": ["extends"]}],
        "properties": {
            "name": {"type": "string", "minLength": 1},
            "description": {"type": "string", "description": "the question it answers"},
            "extends": {"type": "string", "description": "a scenario file to inherit from"},
            "seed": {"type": "integer", "minimum": 0, "maximum": 2**63 - 1},
            "weeks": {"type": "integer", "minimum": 1, "maximum": MAX_WEEKS},
            "world": world_ref,
            "scale": {"type": "number", "exclusiveMinimum": 0, "maximum": 1000,
                      "description": "multiplies members, officials, demand, capacities, "
                      "budgets"},
            "params": _params_schema(),
            "interventions": {"type": "array", "items": lever,
                              "description": "scheduled policy levers (tocsim list)"},
        },
        "$defs": defs,
    }
