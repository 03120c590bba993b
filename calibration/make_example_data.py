"""Write the observed series of ``calibration/targets/example_small.yaml``: the model itself,
run on the tiny test world with known parameter values (the known answer) and a seed that no
calibration uses, aggregated by year as the targets file says.

    .venv/bin/python calibration/make_example_data.py      # prints the YAML data blocks

The values in example_small.yaml were made with this script; rerun it after a model change
and paste its output over the ``data:`` blocks (and the known answer stays the same).
"""

from __future__ import annotations

from pathlib import Path

HERE = Path(__file__).resolve().parent
TRUTH = {"params.recruitment.rate": 0.0035, "params.enforcement.arrest_rate": 0.003}
DATA_SEED = 424242  # not a replicate seed of the calibration (those derive from its seed)


def observed(targets_path: Path = HERE / "targets" / "example_small.yaml") -> dict:
    """Yearly values per target of one run at TRUTH (a dict name -> {year: value})."""
    from calibration.likelihood import yearly
    from calibration.observe import ObservedScenario
    from calibration.targets import load_targets
    from sim.scenario import load_scenario

    t = load_targets(targets_path)
    scn = load_scenario(t.base_path)
    weeks = t.spec.spinup_weeks + t.weeks
    frame = ObservedScenario(scn, t.org_names()).evaluate(TRUTH, DATA_SEED, weeks)
    out = {}
    for s in t.series:
        y = yearly(frame, t, s)
        out[s.name] = {int(yr): float(v) for yr, v in zip(s.years, y, strict=True)}
    return out


def main() -> None:
    for name, values in observed().items():
        body = ", ".join(f"{y}: {v:g}" for y, v in values.items())
        print(f"{name}:\n    data: {{{body}}}")


if __name__ == "__main__":
    main()
