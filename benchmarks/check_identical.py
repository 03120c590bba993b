"""Are a fixed set of runs byte-identical to the ones recorded earlier?

A guard for refactoring the weekly cycle (issue 11): record the outputs' hashes at a commit,
change the code, check that every case still gives the same bytes. Run from the repository
root::

    .venv/bin/python benchmarks/check_identical.py --record out/identical.json
    .venv/bin/python benchmarks/check_identical.py --check out/identical.json
    .venv/bin/python benchmarks/check_identical.py --check out/identical.json --only tiny live

Each case stores a SHA-256 of: the weekly metrics frame and the regions frame (column names,
dtypes and the bytes of every column), the ledger's counters, and the members' and
organizations' final arrays (status, organization, role, region, tenure, release week, ties;
cash, wealth, leaders, ship targets, threat, ...). The jail list is hashed as a set (sorted),
its order being bookkeeping. The live case also checks, at run time, that a snapshot taken
mid-run and restored continues byte-identically (``snapshot.state_digest`` and outputs), and
that a copy of the state does the same.

Exit status: 0 all identical, 1 a difference (each named), 2 bad usage.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402

MEMBER_ARRAYS = ("status", "org", "role", "region", "joined", "release", "ties")
ORG_ARRAYS = ("kind", "home", "active", "leader", "succession", "cohesion", "cash", "laundered",
              "frozen", "threat", "kills", "revenue", "arms_people", "parent", "stress",
              "split_done", "role_memory", "ship_target", "base_presence", "risk_ev", "risk_tr")
LEDGER_FIELDS = ("initial_members", "active", "incarcerated", "dead", "exited", "recruited",
                 "initial_money", "income", "outflow", "seized", "abandoned")


def _frame_digest(df) -> str:
    h = hashlib.sha256()
    h.update(repr(list(df.columns)).encode())
    for col in df.columns:
        a = df[col].to_numpy()
        h.update(f"{col}:{a.dtype.str}:{a.shape};".encode())
        if a.dtype == object:
            h.update("\x00".join(map(str, a)).encode())
        else:
            h.update(np.ascontiguousarray(a).tobytes())
    return h.hexdigest()


def _array_digest(arrays: dict) -> str:
    h = hashlib.sha256()
    for name in sorted(arrays):
        a = np.ascontiguousarray(arrays[name])
        h.update(f"{name}:{a.dtype.str}:{a.shape};".encode())
        h.update(a.tobytes())
    return h.hexdigest()


def digests(model) -> dict[str, str]:
    """The hashes of one finished model's outputs and final state (see the module doc)."""
    m, o, led = model.members, model.orgs, model.ledger
    n = m.n
    members = {name: getattr(m, name)[:n] for name in MEMBER_ARRAYS}
    members["jail_sorted"] = np.sort(m.jail[: m.n_jail])
    orgs = {name: getattr(o, name)[: o.n] for name in ORG_ARRAYS}
    orgs["intel"] = o.intel[:, : o.n]
    counters = {f: getattr(led, f) for f in LEDGER_FIELDS}
    counters.update(week=model.week, members_n=int(n), n_jail=int(m.n_jail), orgs_n=int(o.n),
                    names=list(o.names), patrons=hashlib.sha256(
                        model.officials.patron.tobytes()).hexdigest())
    return {
        "metrics_frame": _frame_digest(model.metrics_frame()),
        "regions_frame": _frame_digest(model.regions_frame()),
        "counters": hashlib.sha256(repr(sorted(counters.items())).encode()).hexdigest(),
        "members": _array_digest(members),
        "orgs": _array_digest(orgs),
    }


# ---------------------------------------------------------------------------- the cases
def _run_file(path: str, weeks: int | None = None, checks: bool = True):
    from sim import load_scenario
    from sim.model import TocModel

    scn = load_scenario(ROOT / path)
    m = TocModel(scn, checks=checks)
    m.run(weeks)
    return m


def case_baseline():
    return _run_file("scenarios/baseline.yaml")


def case_kingpin():
    return _run_file("scenarios/kingpin.yaml")


def case_whole_of_government():
    return _run_file("scenarios/whole_of_government.yaml")


def case_mexico():
    return _run_file("scenarios/mexico.yaml", weeks=104)


def case_tiny():
    return _run_file("tests/data/tiny_base.yaml")


def case_scaled():
    from sim import from_dict
    from sim.model import TocModel

    m = TocModel(from_dict({"name": "scaled", "scale": 4.0, "weeks": 30}), checks=True)
    return m.run()


def case_live():
    """Live changes on the default world: an intervention added at week 10, a budget shock,
    a parameter change, a prison break and a split at week 16; a snapshot at week 20
    restored and continued to week 60 must equal the uninterrupted run (checked here)."""
    from sim import default_scenario, snapshot
    from sim.model import TocModel

    scn = default_scenario(weeks=60, seed=7)
    m = TocModel(scn, checks=True)
    m.run(10)
    m.add_interventions([{"type": "targeted_enforcement", "name": "live-kingpin",
                          "budget": 6e6, "targets": {"top_n": 2}}])
    m.run(6)
    m.scale_lever("agency_budget", 0.7)
    m.set_params({"recruitment": {"rate": 0.004}})
    m.release_prisoners(0.3, name="break")
    m.split_organization(m.orgs.names[0], name="rift")
    m.run(4)
    saved = snapshot.dumps(m)
    m.run(60 - m.week)
    restored = snapshot.loads(saved)
    restored.run(60 - restored.week)
    if snapshot.state_digest(restored) != snapshot.state_digest(m) \
            or restored.metrics.tobytes() != m.metrics.tobytes() \
            or restored.region_metrics.tobytes() != m.region_metrics.tobytes():
        raise AssertionError("live: the restored snapshot did not continue identically")
    return m


CASES = {
    "baseline": case_baseline,
    "kingpin": case_kingpin,
    "whole_of_government": case_whole_of_government,
    "mexico_104": case_mexico,
    "tiny": case_tiny,
    "live": case_live,
    "scaled": case_scaled,
}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    g = ap.add_mutually_exclusive_group(required=True)
    g.add_argument("--record", metavar="FILE", help="run the cases and write their hashes")
    g.add_argument("--check", metavar="FILE", help="run the cases and compare with FILE")
    ap.add_argument("--only", nargs="+", choices=list(CASES), help="run only these cases")
    args = ap.parse_args(argv)
    names = args.only or list(CASES)
    if args.check:
        try:
            want = json.loads(Path(args.check).read_text())
        except (OSError, ValueError) as exc:
            print(f"{args.check}: {exc}", file=sys.stderr)
            return 2
    got, bad = {}, []
    for name in names:
        t0 = time.perf_counter()
        d = digests(CASES[name]())
        got[name] = d
        line = f"{name:22s} {time.perf_counter() - t0:6.1f} s"
        if args.check:
            ref = want.get(name)
            diff = [k for k in d if ref is None or ref.get(k) != d[k]]
            if diff:
                bad.append(name)
                line += "  DIFFERS: " + ", ".join(diff)
            else:
                line += "  identical"
        print(line, flush=True)
    if args.record:
        path = Path(args.record)
        path.parent.mkdir(parents=True, exist_ok=True)
        old = json.loads(path.read_text()) if path.exists() and args.only else {}
        path.write_text(json.dumps({**old, **got}, indent=1, sort_keys=True) + "\n")
        print(f"recorded {len(got)} cases in {path}")
        return 0
    if bad:
        print(f"{len(bad)} of {len(names)} cases differ: {', '.join(bad)}")
        return 1
    print(f"all {len(names)} cases identical")
    return 0


if __name__ == "__main__":
    sys.exit(main())
