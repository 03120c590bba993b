"""Fuzzing the readers as a careless user or an attacker would: mutated scenario, world and
CSV files (encoding, truncation, byte flips, nesting, types, missing keys, duplicate keys,
missing files, aliases, tags, inheritance chains, CSV damage). Every case must end in exit 0
or in exit 2 with short one-line errors, never a traceback; a share of the valid ones is run
for two weeks and must finish (exit 0).

The cases are drawn from a seeded generator, so a failure names a reproducible case number.
The fast suite tries ``FAST`` cases; --runslow tries ``SLOW`` (docs/RELIABILITY.md).
"""

import copy
import random
from pathlib import Path

import pytest
import yaml
from conftest import DATA

from tocsim.cli import main

FAST, SLOW = 150, 3000
RUN_EVERY = 8  # run two weeks of every eighth case that validates

WORLD_TEXT = (DATA / "tiny_world.yaml").read_text()
WORLD = yaml.safe_load(WORLD_TEXT)
SCENARIO = {
    "name": "fuzz", "seed": 3, "weeks": 2, "world": "world.yaml",
    "params": {"recruitment": {"rate": 0.003}, "market": {"sell_fraction": 0.4}},
    "interventions": [
        {"type": "targeted_enforcement", "name": "te", "strategy": "kingpin", "start_week": 0,
         "budget": 2.0e6, "targets": {"organizations": ["Alpha"], "top_n": 1}},
        {"type": "interdiction", "start_week": 1, "intensity": 0.5,
         "targets": {"corridors": ["Source-Transit"], "regions": ["transit"]}},
    ],
}
REGIONS_CSV = ("name,roles,population,legit_wage,state_capacity,enforcement_capacity,"
               "judicial_capacity,officials,guns_per_1000\n" + "".join(
                   f"{r['name']},{';'.join(r['roles'])},{r['population']},{r['legit_wage']},"
                   f"{r['state_capacity']},{r['enforcement_capacity']},{r['judicial_capacity']},"
                   f"{r['officials']},{r.get('guns_per_1000', 0)}\n" for r in WORLD["regions"]))
CORRIDORS_CSV = "from,to,mode,distance_km,capacity\n" + "".join(
    f"{c['from']},{c['to']},{c['mode']},{c['distance_km']},{c['capacity']}\n"
    for c in WORLD["corridors"])

ODD_VALUES = [None, True, False, "text", "", [], {}, [1, 2], {"x": 1}, float("inf"),
              float("nan"), -1, 0, 1e308, -1e308, 2**70, "x" * 100_000, "\x00", "1e6",
              [[[[]]]], {"from": 1}, 3.5]


def _paths(node, prefix=()):
    yield prefix
    if isinstance(node, dict):
        for k, v in node.items():
            yield from _paths(v, prefix + (k,))
    elif isinstance(node, list):
        for i, v in enumerate(node):
            yield from _paths(v, prefix + (i,))


def _set(node, path, value):
    for p in path[:-1]:
        node = node[p]
    node[path[-1]] = value


def _delete(node, path):
    for p in path[:-1]:
        node = node[p]
    del node[path[-1]]


def _dump(data) -> str:
    return yaml.safe_dump(data, sort_keys=False, allow_unicode=True, width=10_000)


# ------------------------------------------------------------------ mutations
def m_encoding(rng, files):
    name = rng.choice(sorted(files))
    data = files[name].encode()
    how = rng.choice(["latin1", "utf16", "bad_bytes", "nul", "bom"])
    if how == "latin1":
        data = files[name].replace("e", "\xe9", 3).encode("latin-1", "replace")
    elif how == "utf16":
        data = files[name].encode("utf-16")
    elif how == "bad_bytes":
        i = rng.randrange(len(data) + 1)
        data = data[:i] + bytes(rng.choice([0x80, 0xC3, 0xFF, 0xFE, 0xED]) for _ in range(2)) + data[i:]
    elif how == "nul":
        i = rng.randrange(len(data) + 1)
        data = data[:i] + b"\x00" + data[i:]
    else:
        data = b"\xef\xbb\xbf" + data  # a BOM alone is fine
    files[name] = data
    return f"encoding:{how}:{name}"


def m_truncate(rng, files):
    name = rng.choice(sorted(files))
    text = files[name]
    files[name] = text[: rng.randrange(len(text) + 1)]
    return f"truncate:{name}"


def m_flip(rng, files):
    name = rng.choice(sorted(files))
    text = list(files[name])
    for _ in range(rng.randint(1, 4)):
        if text:
            text[rng.randrange(len(text))] = rng.choice(list(":[]{}-&*!|>'\",#%@` \n\t0.e"))
    files[name] = "".join(text)
    return f"flip:{name}"


def m_nesting(rng, files):
    depth = rng.choice([10, 70, 300, 5000])
    name = rng.choice(["scenario.yaml", "world.yaml"])
    data = yaml.safe_load(files[name])
    path = rng.choice([p for p in _paths(data) if p])
    inner = rng.choice(["[", "{a: "])
    close = "]" if inner == "[" else "}"
    marker = "__NEST__"
    _set(data, path, marker)
    text = _dump(data).replace(f"'{marker}'", marker).replace(marker, inner * depth + "1" + close * depth, 1)
    files[name] = text
    return f"nesting:{depth}:{name}"


def m_types(rng, files):
    name = rng.choice(["scenario.yaml", "scenario.yaml", "world.yaml"])
    data = yaml.safe_load(files[name])
    for _ in range(rng.randint(1, 3)):
        path = rng.choice(list(_paths(data)))
        value = copy.deepcopy(rng.choice(ODD_VALUES))
        if not path:
            data = value
            break
        _set(data, path, value)
    files[name] = _dump(data)
    return f"types:{name}"


def m_missing_key(rng, files):
    name = rng.choice(["scenario.yaml", "world.yaml"])
    data = yaml.safe_load(files[name])
    path = rng.choice([p for p in _paths(data) if p])
    _delete(data, path)
    files[name] = _dump(data)
    return f"missing_key:{name}"


def m_duplicate_key(rng, files):
    name = rng.choice(["scenario.yaml", "world.yaml"])
    lines = files[name].splitlines()
    keyed = [i for i, line in enumerate(lines) if ":" in line and not line.lstrip().startswith("-")]
    i = rng.choice(keyed)
    lines.insert(i + 1, lines[i])
    files[name] = "\n".join(lines) + "\n"
    return f"duplicate_key:{name}"


def m_missing_file(rng, files):
    how = rng.choice(["world", "world_dir", "csv", "extends", "scenario", "world_nul"])
    data = yaml.safe_load(files["scenario.yaml"])
    if how == "world":
        data["world"] = "nowhere/world.yaml"
    elif how == "world_dir":
        data["world"] = "."
    elif how == "world_nul":
        data["world"] = "wor\x00ld.yaml"
    elif how == "csv":
        data["world"] = {"base": "world.yaml", rng.choice(["regions", "corridors"]): "gone.csv"}
    elif how == "extends":
        data["extends"] = rng.choice(["missing.yaml", ".", "", "x" * 5000])
    else:
        files.pop("scenario.yaml")
        return "missing_file:scenario"
    files["scenario.yaml"] = _dump(data)
    return f"missing_file:{how}"


def m_aliases(rng, files):
    how = rng.choice(["bomb", "recursive", "fine", "undefined"])
    text = files["scenario.yaml"]
    if how == "bomb":
        levels = rng.randint(4, 12)
        lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x]"]
        lines += [f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 9) + "]" for i in range(1, levels)]
        text = "\n".join(lines) + f"\ndescription: *a{levels - 1}\n" + text
    elif how == "recursive":
        text = text + "extra: &r {self: *r}\n"
    elif how == "undefined":
        text = text + "description: *nothing\n"
    else:
        text = "x: &w world.yaml\n" + text.replace("world: world.yaml", "world: *w")
    files["scenario.yaml"] = text
    return f"aliases:{how}"


def m_tags(rng, files):
    tag = rng.choice(["!!python/object:os.system", "!!python/name:os.getcwd", "!!binary",
                      "!!timestamp", "!!set", "!custom", "!!float", "!!int", "!!str"])
    value = rng.choice(["'ls'", "2001-12-14", "aGVsbG8=", "{a, b}", "1", "x"])
    data = yaml.safe_load(files["scenario.yaml"])
    path = rng.choice([p for p in _paths(data) if p])
    _set(data, path, "__TAG__")
    files["scenario.yaml"] = _dump(data).replace("__TAG__", f"{tag} {value}")
    return f"tags:{tag}"


def m_extends(rng, files):
    how = rng.choice(["cycle", "deep", "ok", "self"])
    if how == "cycle":
        files["a.yaml"] = "extends: b.yaml\n"
        files["b.yaml"] = "extends: scenario.yaml\n"
        files["scenario.yaml"] = "extends: a.yaml\n" + files["scenario.yaml"]
    elif how == "self":
        files["scenario.yaml"] = "extends: scenario.yaml\n" + files["scenario.yaml"]
    else:
        n = rng.choice([3, 15, 16, 17, 40]) if how == "deep" else 2
        files["p0.yaml"] = files["scenario.yaml"]
        for i in range(1, n):
            files[f"p{i}.yaml"] = f"extends: p{i - 1}.yaml\n"
        files["scenario.yaml"] = f"extends: p{n - 1}.yaml\nweeks: 2\n"
    return f"extends:{how}"


def m_csv(rng, files):
    which = rng.choice(["regions", "corridors"])
    data = yaml.safe_load(files["scenario.yaml"])
    data["world"] = {"base": "world.yaml", which: f"{which}.csv"}
    files["scenario.yaml"] = _dump(data)
    lines = files[f"{which}.csv"].splitlines()
    how = rng.choice(["drop_column", "drop_cell", "bad_number", "quote", "empty", "blank_lines",
                      "extra_cell", "header_only", "ok", "inf"])
    if how == "drop_column":
        k = rng.randrange(len(lines[0].split(",")))
        lines = [",".join(c for j, c in enumerate(line.split(",")) if j != k) for line in lines]
    elif how == "drop_cell":
        i = rng.randrange(1, len(lines))
        lines[i] = ",".join(lines[i].split(",")[:-1])
    elif how == "bad_number":
        i = rng.randrange(1, len(lines))
        cells = lines[i].split(",")
        cells[rng.randrange(2, len(cells))] = rng.choice(["abc", "1,5", "", "-3", "1e999", "0x10"])
        lines[i] = ",".join(cells)
    elif how == "quote":
        lines[rng.randrange(len(lines))] += ',"unclosed'
    elif how == "empty":
        lines = []
    elif how == "blank_lines":
        lines = lines[:1] + ["", " , "] + lines[1:]
    elif how == "extra_cell":
        lines[rng.randrange(1, len(lines))] += ",9"
    elif how == "header_only":
        lines = lines[:1]
    elif how == "inf":
        i = rng.randrange(1, len(lines))
        cells = lines[i].split(",")
        cells[-1] = rng.choice(["inf", "nan", "-inf", "Infinity"])
        lines[i] = ",".join(cells)
    files[f"{which}.csv"] = "\n".join(lines) + ("\n" if lines else "")
    return f"csv:{which}:{how}"


MUTATIONS = [m_encoding, m_truncate, m_flip, m_nesting, m_types, m_missing_key,
             m_duplicate_key, m_missing_file, m_aliases, m_tags, m_extends, m_csv]


def make_case(seed: int) -> tuple[dict, list[str]]:
    rng = random.Random(seed)
    files = {"scenario.yaml": _dump(SCENARIO), "world.yaml": WORLD_TEXT,
             "regions.csv": REGIONS_CSV, "corridors.csv": CORRIDORS_CSV}
    done = [rng.choice(MUTATIONS)(rng, files)]
    if rng.random() < 0.25 and "scenario.yaml" in files:  # sometimes two at once
        try:
            done.append(rng.choice(MUTATIONS)(rng, files))
        except (yaml.YAMLError, IndexError, TypeError, KeyError, ValueError, UnicodeError,
                AttributeError, RecursionError):
            pass  # the first mutation left nothing the second can parse: keep the first
    return files, done


def try_case(seed: int, root: Path, capsys) -> str:
    """Run case ``seed``; return "ok", "error" or "ran"; fail with the case on a violation."""
    try:
        files, done = make_case(seed)
    except (yaml.YAMLError, IndexError, TypeError, KeyError, ValueError, AttributeError, RecursionError):
        return "skipped"  # a mutation that could not be applied to this base
    d = root / f"case{seed}"
    d.mkdir()
    for name, content in files.items():
        p = d / name
        p.write_bytes(content if isinstance(content, bytes) else content.encode("utf-8"))
    scenario = str(d / "scenario.yaml")
    capsys.readouterr()
    try:
        rc = main(["validate", scenario])
    except BaseException as exc:  # noqa: BLE001 - any escape is the bug we look for
        pytest.fail(f"case {seed} {done}: {type(exc).__name__}: {str(exc)[:300]}")
    err = capsys.readouterr().err
    assert rc in (0, 2), f"case {seed} {done}: exit {rc}"
    if rc == 2:
        lines = err.strip().splitlines()
        assert lines and all(0 < len(line) < 2000 for line in lines), (seed, done, err[:500])
        assert "Traceback" not in err
        return "error"
    if seed % RUN_EVERY:
        return "ok"
    try:
        rc = main(["run", scenario, "--weeks", "2", "--quiet", "--no-plots",
                   "--out", str(d / "out")])
    except BaseException as exc:  # noqa: BLE001
        pytest.fail(f"case {seed} {done} (run): {type(exc).__name__}: {str(exc)[:300]}")
    err = capsys.readouterr().err
    assert rc == 0, f"case {seed} {done} (run): exit {rc}: {err[:500]}"
    return "ran"


def _fuzz(n, start, tmp_path, capsys):
    tally = {"ok": 0, "error": 0, "ran": 0, "skipped": 0}
    for seed in range(start, start + n):
        tally[try_case(seed, tmp_path, capsys)] += 1
    # the mix must exercise both sides: mostly refused files, some valid ones
    assert tally["error"] > n / 3 and tally["ok"] + tally["ran"] > n / 20, tally
    return tally


def test_fuzz_mutated_files(tmp_path, capsys):
    _fuzz(FAST, 0, tmp_path, capsys)


@pytest.mark.slow
def test_fuzz_mutated_files_long(tmp_path, capsys):
    tally = _fuzz(SLOW, 100_000, tmp_path, capsys)
    print(f"fuzz: {SLOW} cases: {tally}")


def test_every_mutation_class_is_drawn():
    drawn = set()
    for s in range(400):
        try:
            drawn.add(make_case(s)[1][0].split(":")[0])
        except (yaml.YAMLError, IndexError, TypeError, KeyError, ValueError, AttributeError, RecursionError):
            pass
    assert drawn == {m.__name__.removeprefix("m_") for m in MUTATIONS}
