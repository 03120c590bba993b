"""Sanctions: designate organizations and their fronts; freeze assets, cut bank access."""

import numpy as np

from ..params import Param
from .base import Intervention


class Sanctions(Intervention):
    """Financial sanctions on designated organizations (e.g. kingpin designations).

    Intensity runs from 0 to 1 (share of the full programme), costed at ``unit_cost`` per
    week. Targets default to the top 3 organizations by threat score at designation. At
    designation (``start_week``, and every ``renew_weeks`` if > 0), ``freeze_share`` of the
    designated organizations' laundered assets is frozen (``frozen_assets``), and their bank
    access is cut: the usable share of laundering capacity drops to ``1 - access_cut``, the
    laundering fee rises by ``fee_increase``, and officials on their payroll are caught
    ``1 + official_penalty`` times as often (penalties for dealing with them). Organizations
    adapt (Pol20: evasion and substitution): every effect of the designation, the lost
    access, the fee and the officials' penalty, fades at ``evasion_rate`` per week as they
    open new channels and fronts, and their laundered stock rebuilds toward its steady state
    (wealth is paid out at ``finance.payout_rate``, ODD 7.6), so the gap to the baseline
    narrows over two to three years at the default rate. Without evasion, or with renewed
    designations (which restore the full effect and freeze again), it persists. Fragments of
    a designated organization inherit its designation.
    """

    type = "sanctions"
    max_intensity = 1.0
    unit = "share of the full programme (0-1)"
    unit_cost = 2e5
    unit_cost_source = "assumption (designation, investigation and compliance staff)"
    default_after_end = "stop"
    params = {
        "freeze_share": Param(0.3, "share of laundered assets", 0.0, 1.0,
                              "assumption; REFERENCES (effects not well measured)",
                              "laundered assets frozen at designation"),
        "access_cut": Param(0.7, "share", 0.0, 1.0, "assumption",
                            "share of laundering capacity lost at designation"),
        "fee_increase": Param(0.15, "share", 0.0, 0.9, "assumption",
                              "rise of the laundering fee for designated organizations"),
        "official_penalty": Param(0.5, "x detection", 0.0, 100.0, "assumption",
                                  "extra detection of officials paid by designated organizations"),
        "evasion_rate": Param(0.02, "1/week", 0.0, 1.0, "assumption; Pol20 (substitution)",
                              "weekly fading of a designation's effects by evasion (half-life ~35 weeks)"),
        "renew_weeks": Param(0, "weeks", 0, 5200, "definition", "re-designation period (0: never)", int),
    }


    def setup(self, model) -> None:
        if not self.targets:
            self.targets = {"top_n": 3}
        self.designated = np.zeros(model.orgs.capacity, np.bool_)
        self.cut = np.zeros(model.orgs.capacity)  # strength of the designation left (0 = none)
        self.frozen_total = 0.0
        self.refreeze = True  # renewals freeze again (new fronts found); off inside bundles

    def act(self, model, t, level):
        o = model.orgs
        if self.designated.size < o.capacity:  # organizations were added by splits
            self.designated = np.pad(self.designated, (0, o.capacity - self.designated.size))
            self.cut = np.pad(self.cut, (0, o.capacity - self.cut.size))
        # fragments inherit their parent's designation
        for i in range(o.n):
            if not self.designated[i] and o.parent[i] >= 0 and self.designated[o.parent[i]]:
                self.designated[i] = True
                self.cut[i] = self.cut[o.parent[i]]
        renew = self.p["renew_weeks"]
        if t == self.start or (renew > 0 and (t - self.start) % renew == 0):
            new = self.target_orgs(model)
            if not self.refreeze:  # only organizations not designated before
                new &= ~self.designated[: new.size]
            self.designated |= new
            share = self.p["freeze_share"] * min(level, 1.0)
            frozen = share * o.laundered[new]
            o.laundered[new] -= frozen
            o.frozen[new] += frozen
            self.frozen_total += float(frozen.sum())
            self.cut[new] = min(level, 1.0)
        else:
            self.cut *= 1.0 - self.p["evasion_rate"]
        d = self.designated
        n = model.launder_access.size
        k = self.cut[:n][d[:n]]
        model.launder_access[d[:n]] *= 1.0 - self.p["access_cut"] * k
        model.launder_fee_add[d[:n]] += self.p["fee_increase"] * k
        model.detect_patron_mult[d[:n]] *= 1.0 + self.p["official_penalty"] * k


LEVER = Sanctions
