"""What a calibration run returns: the weekly metrics, plus the members' share of named
organizations (``org_share:NAME``) and per-region fields (``region:REGION:FIELD``, the columns
of ``regions.csv``) when a target asks for them.

:class:`ObservedScenario` is a base for :func:`analysis.runner.run_tasks`: an object with
``evaluate(overrides, seed, weeks)``, run on the Dask workers like a scenario. It uses sim's
public API only (build a ``TocModel``, step it, read its organization counts).
"""

from __future__ import annotations

import dataclasses

import numpy as np

from .targets import ORG_SHARE, REGION


class ObservedScenario:
    """A scenario plus the organizations whose member share is observed every week."""

    def __init__(self, scenario, orgs: list[str] | tuple[str, ...] = (),
                 regions: list[str] | tuple[str, ...] = ()):
        self.scenario = scenario
        self.orgs = tuple(orgs)
        self.regions = tuple(regions)  # region:REGION:FIELD metrics

    def evaluate(self, overrides: dict, seed: int, weeks: int):
        from sim.model import TocModel

        scn = self.scenario.with_overrides(overrides) if overrides else self.scenario
        scn = dataclasses.replace(scn, seed=seed, weeks=weeks,
                                  raw={**scn.raw, "seed": seed, "weeks": weeks})
        model = TocModel(scn, checks=False)
        if not self.orgs:
            model.run()
            return self._add_regions(model, model.metrics_frame())
        index = [model.world.org_names.index(o) for o in self.orgs]
        shares = np.zeros((weeks, len(index)))

        def record(done: int, total: int) -> None:
            members = model.counts[: len(model.world.org_names)].sum(axis=(1, 2))
            total_members = max(int(model.counts.sum()), 1)
            shares[done - 1] = members[index] / total_members

        model.run(progress=record)
        frame = model.metrics_frame()
        for j, name in enumerate(self.orgs):
            frame[ORG_SHARE + name] = shares[:, j]
        return self._add_regions(model, frame)

    def _add_regions(self, model, frame):
        """Add the ``region:REGION:FIELD`` columns (weekly, aligned with ``frame``)."""
        if not self.regions:
            return frame
        from sim.metrics import REGION_FIELDS

        names = list(model.world.region_names)
        data = model.region_metrics[: model.week]  # [week, region, field]
        for metric in self.regions:
            region, _, fld = metric[len(REGION):].rpartition(":")
            frame[metric] = data[:, names.index(region), REGION_FIELDS.index(fld)]
        return frame
