"""From what a team typed to a submission: text fields to numbers, a menu item's targets and
fields to a decision, and the budget the team would commit. Pure functions (no Solara), so
the rules are tested without a browser; the engine checks the result again on the server."""

from __future__ import annotations

import re
from typing import Any

SUFFIXES = {"k": 1e3, "m": 1e6, "bn": 1e9, "b": 1e9}
NUMBER = re.compile(r"^([-+]?\d*\.?\d+(?:e[-+]?\d+)?)\s*(k|m|bn|b)?$")


def parse_number(text: Any, where: str) -> tuple[float | None, str | None]:
    """``"8e6"``, ``"8,000,000"``, ``"8 M"`` -> 8e6; an error line for anything else (a
    number only; its range is the engine's to check)."""
    if isinstance(text, int | float) and not isinstance(text, bool):
        return float(text), None
    s = str(text or "").strip().lower().replace(",", "").replace("_", "")
    if not s:
        return None, f"{where}: required"
    m = NUMBER.match(s[:40])
    if not m:
        return None, f"{where}: {str(text)[:40]!r} is not a number"
    return float(m.group(1)) * SUFFIXES.get(m.group(2) or "", 1.0), None


def parse_whole(text: Any, where: str) -> tuple[int | None, str | None]:
    v, err = parse_number(text, where)
    if err:
        return None, err
    if v != int(v):
        return None, f"{where}: expected a whole number, got {text!r}"
    return int(v), None


def is_range(spec: Any) -> bool:
    """A menu field given as ``[min, max]`` numbers (else a list of allowed values)."""
    return (isinstance(spec, list | tuple) and len(spec) == 2
            and all(isinstance(x, int | float) and not isinstance(x, bool) for x in spec))


def decision_from_form(form: dict[str, Any], item: dict[str, Any],
                       objectives: list[str]) -> tuple[dict[str, Any] | None, list[str]]:
    """A decision (as in a decisions file) from the form of one menu item, or the problems.

    ``form``: ``name``, ``budget`` (text), ``targets`` {key: value or list}, ``fields``
    {key: text or choice}, ``turns`` (text, blank: to the end), ``expected`` {objective:
    text, blank: none}, ``why``. Only the menu's targets and fields are read: anything else a
    browser sent is dropped here and refused by the engine if it got through."""
    errs: list[str] = []
    name = str(form.get("name") or "").strip()
    if not name:
        errs.append("name: give the decision a short name (letters, digits, - _ .)")
    dec: dict[str, Any] = {"name": name[:200], "type": item["type"]}
    budget, e = parse_number(form.get("budget"), "budget")
    if e:
        errs.append(e + " (USD/week)")
    dec["budget"] = budget
    targets = {}
    for key in item.get("targets", {}):
        val = (form.get("targets") or {}).get(key)
        if key == "top_n":
            if val in (None, ""):
                continue
            n, e = parse_whole(val, "targets.top_n")
            if e:
                errs.append(e)
            else:
                targets[key] = n
        elif val:
            targets[key] = list(val) if isinstance(val, list | tuple) else [val]
    if targets:
        dec["targets"] = targets
    for key, spec in item.get("fields", {}).items():
        val = (form.get("fields") or {}).get(key)
        if val in (None, ""):
            continue
        if is_range(spec):
            v, e = parse_number(val, key)
            if e:
                errs.append(e)
            else:
                dec[key] = int(v) if all(isinstance(x, int) for x in spec) and v == int(v) else v
        else:
            dec[key] = val
    turns = form.get("turns")
    if turns not in (None, ""):
        t, e = parse_whole(turns, "turns")
        if e:
            errs.append(e)
        else:
            dec["turns"] = t
    expected = {}
    for key in objectives:
        val = (form.get("expected") or {}).get(key)
        if val in (None, ""):
            continue
        v, e = parse_number(str(val).rstrip("%"), f"expected.{key}")
        if e:
            errs.append(e + " (a relative change: -0.1 = 10% lower)")
        else:
            expected[key] = v / 100 if str(val).strip().endswith("%") else v
    if expected:
        dec["expected"] = expected
    why = str(form.get("why") or "").strip()
    if why:
        dec["why"] = why
    return (None, errs) if errs else (dec, [])


def running_budget(decisions: list[dict[str, Any]], team: str, week: int,
                   stops: list[str]) -> float:
    """USD/week of ``team``'s earlier decisions still funded at ``week`` (the turn's first
    week), without those it stops: the engine's rule (``Exercise.committed``)."""
    total = 0.0
    for d in decisions:
        if d["team"] != team or d["name"] in stops:
            continue
        end = d.get("last_week")
        if d["week"] <= week and (end is None or end >= week):
            total += float(d["entry"]["budget"])
    return total


def active_names(decisions: list[dict[str, Any]], team: str, week: int) -> list[str]:
    return [d["name"] for d in decisions if d["team"] == team and d["week"] <= week
            and (d.get("last_week") is None or d["last_week"] >= week)]


def budget_line(running: float, new: float, cap: float) -> tuple[float, bool, str]:
    """The budget bar: percent of the cap used, over or not, and its caption."""
    from training.briefing import num

    used = running + new
    pct = 100.0 * used / cap if cap > 0 else (0.0 if used == 0 else 100.0)
    over = used > cap * (1 + 1e-12)
    text = (f"{num(used)} of {num(cap)} USD/week committed ({num(running)} running, "
            f"{num(new)} new)")
    text += (f": over budget by {num(used - cap)}; remove or lower a decision" if over
             else f": {num(cap - used)} left")
    return min(pct, 100.0), over, text
