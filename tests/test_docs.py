"""The model documentation stays in step with the code.

docs/ODD.md's parameter and metric tables are generated from sim.params.PARAMS and
sim.metrics.METRICS by docs/make_param_table.py; these tests fail when a parameter, a metric, a
weekly process, a random stream or a citation code is added without documenting it.
"""

import inspect
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
ODD = ROOT / "docs" / "ODD.md"
REFS = ROOT / "docs" / "REFERENCES.md"


@pytest.fixture(scope="module")
def odd_text() -> str:
    return ODD.read_text()


def test_generated_tables_are_current():
    res = subprocess.run(
        [sys.executable, "docs/make_param_table.py", "--check"],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    assert res.returncode == 0, (
        "docs/ODD.md tables are out of date; run `python docs/make_param_table.py`\n"
        + res.stdout
        + res.stderr
    )


def test_every_parameter_is_documented(odd_text):
    from sim.params import PARAMS

    missing = [f"{g}.{n}" for g, grp in PARAMS.items() for n in grp if f"{g}.{n}" not in odd_text]
    assert not missing, f"parameters missing from docs/ODD.md: {missing}"


def test_every_metric_is_documented(odd_text):
    from sim.metrics import METRICS, REGION_FIELDS

    missing = [m for m in list(METRICS) + list(REGION_FIELDS) if f"`{m}`" not in odd_text]
    assert not missing, f"metrics missing from docs/ODD.md: {missing}"


def test_every_weekly_process_and_stream_is_documented(odd_text):
    from sim.model import TocModel
    from sim.rng import STREAMS

    steps = re.findall(r"(\w+)\.step\(s\)", inspect.getsource(TocModel.step))
    assert len(steps) == 10, "could not read the process calls of TocModel.step"
    missing = [s for s in steps if f"`sim/processes/{s}.py`" not in odd_text]
    missing += [s for s in STREAMS if f"`{s}`" not in odd_text]
    assert not missing, f"processes or random streams missing from docs/ODD.md: {missing}"


def test_every_citation_code_has_a_reference():
    from sim.params import PARAMS

    key = REFS.read_text().split("## Citation key", 1)[1].split("\n## ", 1)[0]
    codes = set(re.findall(r"^\| ([A-Za-z][\w-]*) \|", key, flags=re.M)) - {"Code"}
    cited = set()
    for grp in PARAMS.values():
        for p in grp.values():
            cited.update(re.findall(r"\b(?:[A-Z][A-Za-z]{0,3}\d{2}|CR|PROTON-OC)\b", p.source))
    missing = sorted(cited - codes)
    assert not missing, (
        f"citation codes used in sim/params.py without a key in docs/REFERENCES.md: {missing}"
    )
