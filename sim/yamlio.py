"""Reading input files: one path for every YAML and CSV file the model reads.

YAML uses YAML 1.2 floats: ``2.0e7`` and ``1e6`` are numbers, as users expect (PyYAML's
YAML 1.1 resolver reads them as strings). Every file goes through :func:`read_text` (size
limit, UTF-8 decoding with a clear error) and YAML through :func:`load` (duplicate keys
refused, nesting depth and alias expansion bounded), so that a bad or hostile file ends in a
one-line :class:`~sim.errors.ScenarioError` ``FILE: problem`` and never in a traceback, a
``RecursionError`` or a long stall.
"""

from __future__ import annotations

import re
from pathlib import Path

import yaml

from .errors import ScenarioError

MAX_FILE_BYTES = 20 * 2**20  # no scenario, world or CSV file is anywhere near 20 MB
MAX_DEPTH = 64  # nesting of mappings and lists
MAX_NODES = 500_000  # YAML nodes after alias expansion (the default world has ~5,000)


class _StrictMappings:
    """Refuse duplicate keys in a mapping (mixed into the loaders below)."""

    def construct_mapping(self, node, deep=False):
        if isinstance(node, yaml.MappingNode):
            seen: dict = {}
            for key_node, _ in node.value:
                if key_node.tag == "tag:yaml.org,2002:merge":
                    continue
                key = self.construct_object(key_node, deep=True)
                try:
                    hash(key)
                except TypeError:
                    raise yaml.constructor.ConstructorError(
                        None, None, "a mapping key must be a plain value", key_node.start_mark
                    ) from None
                if key in seen:
                    raise yaml.constructor.ConstructorError(
                        None, None,
                        f"duplicate key {shorten(key)} (first at line {seen[key] + 1})",
                        key_node.start_mark,
                    )
                seen[key] = key_node.start_mark.line
        return super().construct_mapping(node, deep=deep)


class Loader(_StrictMappings, yaml.SafeLoader):
    """SafeLoader with YAML 1.2 floats that refuses duplicate keys in a mapping."""


YAML12_FLOAT = re.compile(
    r"""^(?:[-+]?(?:[0-9][0-9_]*)\.[0-9_]*(?:[eE][-+]?[0-9]+)?
    |[-+]?(?:[0-9][0-9_]*)(?:[eE][-+]?[0-9]+)
    |\.[0-9_]+(?:[eE][-+]?[0-9]+)?
    |[-+]?\.(?:inf|Inf|INF)
    |\.(?:nan|NaN|NAN))$""",
    re.X,
)
Loader.add_implicit_resolver("tag:yaml.org,2002:float", YAML12_FLOAT, list("-+0123456789."))

# The same loader on libyaml's parser, ten times faster, for the files that ship with the
# package (the default world): they are trusted, so they skip the shape check, and their
# parse never fails, so libyaml's error messages (worded differently) never show.
FastLoader: type | None = None
if getattr(yaml, "__with_libyaml__", False):
    class FastLoader(_StrictMappings, yaml.CSafeLoader):  # type: ignore[no-redef]
        """:class:`Loader` on libyaml's parser."""

    FastLoader.add_implicit_resolver("tag:yaml.org,2002:float", YAML12_FLOAT,
                                     list("-+0123456789."))


def shorten(value, limit: int = 60) -> str:
    """``repr`` of a value cut to about ``limit`` characters (never expands a huge or deeply
    aliased structure: reprlib stops at a few items per level)."""
    import reprlib

    r = reprlib.Repr()
    r.maxstring = r.maxother = limit
    r.maxlevel = 3
    r.maxlist = r.maxtuple = r.maxdict = r.maxset = 4
    text = r.repr(value)
    return text if len(text) <= limit + 10 else text[:limit] + "...'"


def read_text(path: Path, label: str | None = None) -> str:
    """The text of a file: refused with a one-line error when missing, too large or not UTF-8."""
    label = label or str(path)
    try:
        size = path.stat().st_size
        if size > MAX_FILE_BYTES:
            raise ScenarioError(f"{label}: file too large ({size:,} bytes; the limit is "
                                f"{MAX_FILE_BYTES:,})")
        data = path.read_bytes()
    except FileNotFoundError:
        raise ScenarioError(f"{label}: file not found") from None
    except IsADirectoryError:
        raise ScenarioError(f"{label}: is a folder, not a file") from None
    except OSError as exc:
        raise ScenarioError(f"{label}: cannot read: {exc.strerror or exc}") from None
    except ValueError:  # a NUL byte in the path
        raise ScenarioError(f"{shorten(label)}: not a valid file path") from None
    return decode(data, label)


def decode(data: bytes, label: str) -> str:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise ScenarioError(f"{label}: line {line}: not UTF-8 text (byte 0x{data[exc.start]:02x} "
                            f"at offset {exc.start}); save the file as UTF-8") from None
    if "\x00" in text:
        line = text[: text.index("\x00")].count("\n") + 1
        raise ScenarioError(f"{label}: line {line}: contains a NUL byte (binary file?)")
    return text


def _check_shape(text: str, label: str) -> None:
    """Bound nesting depth and the size after alias expansion before building any object."""
    depth = 0
    sizes: dict[str, int] = {}  # anchor -> expanded node count
    # stack of [anchor, node count so far] for open collections
    stack: list[list] = [[None, 0]]
    total = 0
    for ev in yaml.parse(text, Loader=Loader):
        if isinstance(ev, yaml.CollectionStartEvent):
            depth += 1
            if depth > MAX_DEPTH:
                raise ScenarioError(f"{label}: line {ev.start_mark.line + 1}: nested more than "
                                    f"{MAX_DEPTH} levels deep")
            stack.append([ev.anchor, 1])
        elif isinstance(ev, yaml.CollectionEndEvent):
            depth -= 1
            anchor, n = stack.pop()
            if anchor is not None:
                sizes[anchor] = n
            stack[-1][1] += n
        elif isinstance(ev, yaml.ScalarEvent | yaml.AliasEvent):
            if isinstance(ev, yaml.AliasEvent):
                if ev.anchor not in sizes:
                    raise ScenarioError(f"{label}: line {ev.start_mark.line + 1}: alias *"
                                        f"{ev.anchor} refers to a collection that contains it "
                                        "(a recursive structure) or to no anchor")
                n = sizes[ev.anchor]
            else:
                n = 1
            if isinstance(ev, yaml.ScalarEvent) and ev.anchor is not None:
                sizes[ev.anchor] = 1
            stack[-1][1] += n
            total = stack[0][1] + sum(s[1] for s in stack[1:])
            if total > MAX_NODES:
                raise ScenarioError(f"{label}: line {ev.start_mark.line + 1}: more than "
                                    f"{MAX_NODES:,} values once aliases are expanded")


def yaml_error(exc: yaml.YAMLError, label: str) -> ScenarioError:
    mark = getattr(exc, "problem_mark", None)
    where = f"line {mark.line + 1}: " if mark else ""
    problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
    return ScenarioError(f"{label}: {where}not valid YAML: {problem}")


def load(text: str):
    """Parse short trusted YAML text (a ``--set`` value); errors are ``yaml.YAMLError``."""
    return yaml.load(text, Loader=Loader)  # noqa: S506 (a SafeLoader subclass)


def parse(text: str, label: str = "<text>"):
    """Parse YAML text; bad YAML, duplicate keys, deep nesting or alias bombs raise a
    one-line :class:`ScenarioError` naming ``label``."""
    try:
        _check_shape(text, label)
        return yaml.load(text, Loader=Loader)  # noqa: S506 (a SafeLoader subclass)
    except yaml.YAMLError as exc:
        raise yaml_error(exc, label) from None
    except (ValueError, TypeError, AttributeError, OverflowError) as exc:
        # PyYAML's own constructors on a bad explicit tag (``!!timestamp x``, ``!!int x``)
        raise ScenarioError(f"{label}: not valid YAML: a tagged value cannot be read "
                            f"({type(exc).__name__}: {shorten(str(exc))[1:-1]})") from None
    except RecursionError:  # pragma: no cover - _check_shape bounds the depth first
        raise ScenarioError(f"{label}: nested too deeply") from None


def parse_packaged(text: str, label: str):
    """Parse YAML that ships with the package (trusted): libyaml when present, else
    :func:`parse`. Gives the same data as :func:`parse`."""
    if FastLoader is None:
        return parse(text, label)
    return yaml.load(text, Loader=FastLoader)  # noqa: S506 (a CSafeLoader subclass)


def read_yaml(path: Path, label: str | None = None, *, mapping: bool = True):
    """Read and parse a YAML file; with ``mapping`` its top level must be a mapping."""
    label = label or str(path)
    data = parse(read_text(path, label), label)
    if mapping and not isinstance(data, dict):
        raise ScenarioError(f"{label}: expected a mapping at the top level")
    return data


def read_csv(path: Path, label: str | None = None, required: tuple[str, ...] = (),
             with_lines: bool = False) -> list:
    """Read a CSV file with a header row into dicts of stripped strings (keyed by column),
    or (row number, dict) pairs with ``with_lines`` (rows counted from 1 for the header; a
    quoted cell spanning lines counts once); ragged rows, missing columns and empty files
    raise a one-line error naming the row."""
    import csv
    import io

    label = label or str(path)
    text = read_text(path, label)
    try:
        reader = csv.reader(io.StringIO(text, newline=""))
        rows = list(reader)
    except csv.Error as exc:
        raise ScenarioError(f"{label}: not valid CSV: {exc}") from None
    rows = [(i, r) for i, r in enumerate(rows, start=1) if any(c.strip() for c in r)]
    if not rows:
        raise ScenarioError(f"{label}: empty file; expected a header row"
                            + (f" with {', '.join(required)}" if required else ""))
    header = [h.strip() for h in rows[0][1]]
    dup = sorted({h for h in header if header.count(h) > 1})
    if dup:
        raise ScenarioError(f"{label}: line 1: duplicate column {dup[0]!r}")
    missing = [c for c in required if c not in header]
    if missing:
        raise ScenarioError(f"{label}: line 1: missing column(s) {', '.join(missing)}; "
                            f"the header has: {', '.join(map(shorten, header)) or '(nothing)'}")
    out = []
    for n, row in rows[1:]:
        if len(row) != len(header):
            raise ScenarioError(f"{label}: line {n}: {len(row)} cells, the header has "
                                f"{len(header)}")
        cells = {h: c.strip() for h, c in zip(header, row, strict=True) if h}
        out.append((n, cells) if with_lines else cells)
    return out
