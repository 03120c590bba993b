"""Periods of a run that summaries average over, and the schedule of the levers.

A period is a half-open range of weeks ``[start, end)``. On the command line (``--period`` or
``--window``; both spellings take every form)::

    last:52        the last 52 weeks of the run (the default; a bare ``52`` means the same)
    104:364        weeks 104 to 363 (``start:end``, end excluded, as in Python)
    intervention   from the first lever's start to its end (the run's end if it has none)
    all            the whole run

"The first lever" is the lever with the earliest ``start_week`` among those a compared
scenario adds or changes relative to the baseline (levers shared unchanged with the baseline
are not the intervention). :func:`standard_periods` gives the three periods the default report
shows: the intervention period, the years after it, and the end of the run.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sim.errors import ScenarioError

DEFAULT = "last:52"
WEEKS_PER_YEAR = 52


@dataclass(frozen=True)
class Lever:
    """One scheduled intervention: ``start`` is its first week, ``end`` the week after its
    last funded week (the run's end when the scenario gives no ``end_week``)."""

    scenario: str
    name: str
    type: str
    start: int
    end: int
    budget: float | None
    intensity: float | None
    after_end: str | None

    def describe(self) -> str:
        what = (f"{self.budget:,.0f} USD/week" if self.budget is not None
                else f"intensity {self.intensity:g}" if self.intensity is not None else "")
        return f"{self.name} ({self.type}): weeks {self.start}-{self.end - 1}, {what}".rstrip(", ")


@dataclass(frozen=True)
class Period:
    """Weeks ``start`` to ``end - 1`` of the run; ``spec`` is how it was asked for."""

    start: int
    end: int
    spec: str
    name: str = ""

    @property
    def weeks(self) -> int:
        return self.end - self.start

    @property
    def label(self) -> str:
        span = (f"weeks {self.start}-{self.end - 1} "
                f"(years {self.start / 52:.1f}-{self.end / 52:.1f})")
        return f"{self.name}: {span}" if self.name else span

    def as_dict(self) -> dict[str, Any]:
        return {"spec": self.spec, "start": self.start, "end": self.end, "name": self.name}


def lever_schedule(scn, label: str | None = None) -> list[Lever]:
    """The levers of a scenario (its ``interventions``), clipped to the run."""
    out = []
    for i, e in enumerate(scn.interventions):
        start = int(e.get("start_week", 0))
        end = e.get("end_week")
        end = scn.weeks if end is None else min(int(end) + 1, scn.weeks)
        out.append(Lever(label or scn.name, e.get("name") or f"{e.get('type')}-{i}",
                         str(e.get("type")), start, max(end, start),
                         _num(e.get("budget")), _num(e.get("intensity")), e.get("after_end")))
    return out


def _num(v) -> float | None:
    return float(v) if isinstance(v, int | float) and not isinstance(v, bool) else None


def changed_levers(scn, baseline) -> list[dict[str, Any]]:
    """The intervention entries of ``scn`` that the baseline does not hold unchanged."""
    base = [dict(e) for e in (baseline.interventions if baseline is not None else [])]
    return [e for e in scn.interventions if dict(e) not in base]


def schedule(scenarios: dict[str, Any], baseline: str | None) -> list[Lever]:
    """Levers by scenario: for the baseline all of them, for the others those they add or
    change relative to the baseline (the ones that make them differ)."""
    import dataclasses

    base = scenarios.get(baseline) if baseline is not None else None
    out: list[Lever] = []
    for label, scn in scenarios.items():
        if label == baseline:
            continue
        entries = changed_levers(scn, base)
        out.extend(lever_schedule(dataclasses.replace(scn, interventions=entries), label))
    return out


def first_lever(levers: list[Lever]) -> Lever | None:
    return min(levers, key=lambda lv: lv.start) if levers else None


def parse_period(spec: str | int | None, weeks: int, levers: list[Lever] | None = None,
                 option: str = "--period") -> Period:
    """The :class:`Period` that ``spec`` names in a run of ``weeks`` weeks."""
    spec = DEFAULT if spec is None else spec
    text = str(spec).strip()
    if isinstance(spec, int) and not isinstance(spec, bool) or text.isdigit():
        text = f"last:{int(text)}"
    if text == "all":
        return Period(0, weeks, text, "whole run")
    if text == "intervention":
        lever = first_lever(levers or [])
        if lever is None:
            raise ScenarioError(f"{option}: intervention: no scenario of this batch schedules "
                                "a lever that the baseline lacks; give weeks (start:end)")
        if lever.start >= weeks:
            raise ScenarioError(f"{option}: intervention: lever {lever.name!r} starts in week "
                                f"{lever.start}, after the run's last week {weeks - 1}")
        return Period(lever.start, lever.end, text, f"intervention ({lever.name})")
    head, sep, tail = text.partition(":")
    try:
        if not sep:
            raise ValueError
        if head == "last":
            n = int(tail)
            if n < 1:
                raise ScenarioError(f"{option}: {text}: must be at least 1 week")
            if n > weeks:
                raise ScenarioError(f"{option}: {text}: longer than the run ({weeks} weeks)")
            return Period(weeks - n, weeks, text, f"last {n} weeks")
        start, end = int(head), int(tail)
    except ValueError:
        raise ScenarioError(f"{option}: {text!r}: expected last:N, START:END (weeks, end "
                            "excluded), intervention or all") from None
    if not 0 <= start < end <= weeks:
        raise ScenarioError(f"{option}: {text}: need 0 <= START < END <= {weeks} (the run's "
                            "weeks)")
    return Period(start, end, text, "")


def standard_periods(weeks: int, levers: list[Lever],
                     end_weeks: int = WEEKS_PER_YEAR) -> list[Period]:
    """The periods the default report shows: the intervention period, the years after it (if
    any remain) and the end of the run (the last ``end_weeks`` weeks)."""
    out = []
    lever = first_lever(levers)
    if lever is not None and lever.start < weeks:
        out.append(Period(lever.start, lever.end, "intervention",
                          f"intervention ({lever.name})"))
        if lever.end < weeks:
            out.append(Period(lever.end, weeks, f"{lever.end}:{weeks}", "after the intervention"))
    n = min(end_weeks, weeks)
    out.append(Period(weeks - n, weeks, f"last:{n}", f"end of the run (last {n} weeks)"))
    return out


def years(weeks: int) -> list[Period]:
    """Year 1, 2, ... of the run (52 weeks each; the last may be shorter)."""
    return [Period(s, min(s + WEEKS_PER_YEAR, weeks), f"{s}:{min(s + WEEKS_PER_YEAR, weeks)}",
                   f"year {i + 1}") for i, s in enumerate(range(0, weeks, WEEKS_PER_YEAR))]
