"""``tocsim list metrics|regions|corridors|organizations``: the names a user writes in targets,
``--metrics``, problem outputs and ``--set`` paths, and the units of what comes out."""

from __future__ import annotations

from pathlib import Path


def load_world_of(ref: str | None):
    """The default world, a scenario's world (a file with ``name:``/``extends:``) or a world
    file (a file with ``regions:``)."""
    from sim.world import load_world

    if not ref:
        return load_world("default", None, "<default>")
    path = Path(ref)
    from sim import yamlio
    from sim.errors import ScenarioError

    if not path.is_file():
        raise ScenarioError(f"--world: {ref}: file not found")
    data = yamlio.read_yaml(path, ref, mapping=False) or {}  # the readers' one path
    if isinstance(data, dict) and "regions" in data:
        return load_world(str(path.resolve()), path.resolve().parent, ref)
    from sim.scenario import load_scenario

    return load_scenario(path).world


def metrics_lines(world=None) -> list[str]:
    from sim.metrics import COMMODITY_FIELDS, METRICS, REGION_FIELDS

    lines = ["Metrics (one column each in timeseries.csv and runs.parquet; weekly values):",
             "  name [unit]: definition"]
    width = max(len(n) for n in METRICS)
    for name, (unit, doc) in METRICS.items():
        lines.append(f"  {name:<{width}} [{unit}]: {doc}")
    if world is not None and len(world.commodity_names) > 1:
        fields = ",".join(COMMODITY_FIELDS)
        extra = ", ".join(f"{c}_{{{fields}}}" for c in world.commodity_names[1:])
        lines.append(f"  per commodity after the first (drug): {extra}")
    lines.append(f"Per region (regions.csv): {', '.join(REGION_FIELDS)}")
    return lines


def regions_lines(world) -> list[str]:
    from sim.enums import REGION_ROLE_BITS

    spec = world.spec
    lines = [f"Regions of world {world.source!r} (targets: {{regions: [NAME or role]}}; roles: "
             f"{', '.join(REGION_ROLE_BITS)}):",
             f"  {'name':<22} {'roles':<26} {'population':>12} {'officials':>9}"]
    for r in spec.regions:
        lines.append(f"  {r.name:<22} {','.join(r.roles):<26} {r.population:>12,.0f} "
                     f"{r.officials:>9,d}")
    return lines


def corridors_lines(world) -> list[str]:
    spec = world.spec
    lines = [f"Corridors of world {world.source!r} (targets: {{corridors: ['A-B']}}, both "
             "directions):",
             f"  {'corridor':<40} {'mode':<5} {'km':>7} {'capacity kg/week':>17}"]
    for c in spec.corridors:
        lines.append(f"  {c.from_ + '-' + c.to:<40} {c.mode:<5} {c.distance_km:>7,.0f} "
                     f"{c.capacity:>17,.0f}")
    return lines


def organizations_lines(world) -> list[str]:
    spec = world.spec
    lines = [f"Organizations of world {world.source!r} (targets: {{organizations: [NAME]}}, "
             "{kinds: [cartel|gang]}):",
             f"  {'name':<24} {'kind':<7} {'home':<20} {'members':>8}  present in"]
    for o in spec.organizations:
        where = ", ".join(sorted(o.presence, key=lambda k: -o.presence[k]))
        lines.append(f"  {o.name:<24} {o.kind:<7} {o.home:<20} {o.members:>8,d}  {where}")
    return lines


def show(what: str, world_ref: str | None = None) -> int:
    world = load_world_of(world_ref) if (what != "metrics" or world_ref) else None
    make = {"metrics": lambda: metrics_lines(world), "regions": lambda: regions_lines(world),
            "corridors": lambda: corridors_lines(world),
            "organizations": lambda: organizations_lines(world)}[what]
    print("\n".join(make()))
    return 0
