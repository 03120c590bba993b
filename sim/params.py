"""Model parameters: every one declared once, with default, unit, valid range and source.

A scenario overrides them under ``params:`` with the same nesting (``recruitment.rate``).
Sources refer to ``docs/REFERENCES.md`` (copied from the project's shared references):
PC23 = Prieto-Curiel, Campedelli & Hope (2023); M19 = Magliocca et al. (2019);
RK86 = Reuter & Kleiman (1986); CR = Caulkins & Reuter; NRC01 = National Research Council
(2001); C15 = Calderon et al. (2015); P15 = Phillips (2015); LP18 = Lindo & Padilla-Romo
(2018); D14 = Duijn et al. (2014); H00 = Hammond (2000); Pol20 = Pol (2020); PROTON-OC =
Calderoni et al. (2022). "assumption" marks a value
chosen for the model that the literature does not pin down; it is a calibration target.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from types import SimpleNamespace
from typing import Any


@dataclass(frozen=True)
class Param:
    default: float
    unit: str
    lo: float
    hi: float
    source: str
    doc: str
    kind: type = float


P = Param
# fmt: off
PARAMS: dict[str, dict[str, Param]] = {
    "market": {
        "elasticity_multiplier": P(1.0, "ratio",    0.1, 10.0,  "NRC01 (cocaine -0.3 to -2.5 across studies)", "multiplies every commodity's demand elasticity (for sensitivity analysis)"),
        "sell_fraction":      P(0.5,    "1/week",   0.05, 1.0,  "assumption (about two weeks of retail inventory)", "share of the retail stock offered each week"),
        "price_floor":        P(0.05,   "x ref",    0.001, 1.0, "assumption", "lowest retail price as a multiple of the reference price"),
        "price_cap":          P(20.0,   "x ref",    1.0, 1000.0, "assumption", "highest retail price as a multiple of the reference price"),
        "retail_value_added":  P(0.55,  "x ref. retail price", 0.2, 0.9, "REFERENCES: US wholesale 20-28k vs retail 80-100k USD/kg; CR (~85% of value added inside the consumer country)", "dealers' margin and costs added between consumer wholesale and retail, besides the dealer risk premium (dealer-retailed commodities)"),
        "dealer_risk_premium": P(0.7,   "x ref. retail price per annual arrest prob.", 0.0, 5.0, "RK86 (risks and prices)", "compensation dealers require for their annual probability of arrest, added at the retail stage"),
        "wholesale_value_added": P(0.13, "x ref. retail price", 0.02, 0.5, "REFERENCES: Mexico 10-14k vs US wholesale 20-28k against retail 80-100k USD/kg; CR", "domestic distribution (transport, risk, margin) added between the import price at the border and consumer wholesale"),
        "source_share":        P(0.35,  "x export price", 0.1, 0.8, "REFERENCES: coca paste 500-800 vs Colombia export 1,500-3,000 USD/kg; Kilmer & Reuter 2009 (farm-gate ~800, export ~2,200)", "source (farm-gate, paste) price as a share of the export price at the origin"),
        "dealer_capacity":    P(4.0,    "unit/dealer/week", 0.01, 100.0, "assumption", "units of each dealer-sold commodity one street dealer can sell per week"),
    },
    "transport": {
        "cost_land":          P(1.2,    "USD/kg/km", 0.0, 20.0, "assumption; price chain in REFERENCES", "base transport cost over land"),
        "cost_sea":           P(0.6,    "USD/kg/km", 0.0, 20.0, "assumption; price chain in REFERENCES", "base transport cost by sea"),
        "cost_air":           P(3.0,    "USD/kg/km", 0.0, 50.0, "assumption; price chain in REFERENCES", "base transport cost by air"),
        "capacity_per_trafficker": P(1.6, "kg/member/week", 0.01, 50.0, "assumption (calibrated to a flow near reference demand)", "drug units one logistics member moves per week"),
        "hurdle_rate":        P(0.2,    "share",    0.0, 10.0,  "assumption; RK86 (importers are paid for the risk they bear)", "importers' margin over landed cost at the border (the import stage of the price chain), and the profit rate below which an organization ships less of a commodity"),
        "supply_adjustment":  P(0.1,    "1/week",   0.0, 1.0,   "assumption", "speed at which shipments follow profitability"),
        "price_memory":       P(0.1,    "1/week",   0.01, 1.0,  "assumption (traffickers deal on prices known over weeks, not one week's spot price)", "weight of this week's import price in the price traffickers expect when they choose destinations"),
        "congestion_cost":    P(0.5,    "x dest. value", 0.0, 10.0, "assumption", "route cost added per unit of corridor over-capacity last week"),
        "risk_aversion":      P(1.0,    "ratio",    0.0, 10.0,  "M19 (risk premium added to transport cost)", "weight of expected loss in route cost"),
        "risk_memory":        P(0.95,   "1/week",   0.0, 0.999, "M19 (time-discounted event counts)", "weekly discount of remembered seizures and crossings"),
        "risk_prior_events":  P(0.1,    "lots",     0.0, 10.0,  "M19 (prior (events+2)/(time+2.5)), rescaled", "prior seizures in perceived risk"),
        "risk_prior_trials":  P(2.0,    "lots",     0.01, 100.0, "M19, rescaled", "prior crossings in perceived risk"),
    },
    "interdiction": {
        "rate_land":          P(0.13,   "1/crossing", 0.0, 5.0, "calibrated: 20-35% of flow seized (M19 target 0.25-0.34)", "seizure hazard of a lot crossing into a land region at enforcement capacity 1"),
        "rate_sea":           P(0.2,    "1/crossing", 0.0, 5.0, "calibrated as rate_land", "seizure hazard by sea"),
        "rate_air":           P(0.25,   "1/crossing", 0.0, 5.0, "calibrated as rate_land", "seizure hazard by air"),
        "effectiveness":      P(1.0,    "ratio",    0.0, 10.0,  "M19 (interdiction effectiveness uncertain)", "multiplies the seizure rates of every mode"),
        "intel_gain":         P(1.0,    "ratio",    0.0, 10.0,  "assumption", "extra seizure and arrest hazard per unit of intelligence on the organization"),
        "protection_max":     P(0.8,    "share",    0.0, 1.0,   "assumption; H00", "largest cut in seizure/prosecution hazard that corrupt officials give"),
        "protection_half":    P(3.0,    "officials", 0.1, 100.0, "assumption", "corrupt officials of a type in a region that give half of protection_max"),
    },
    "finance": {
        "wage_leader":        P(20000.0, "USD/week", 0.0, 1e6,  "assumption", "pay of a leader"),
        "wage_lieutenant":    P(3000.0, "USD/week", 0.0, 1e6,   "assumption", "pay of a lieutenant"),
        "wage_logistics":     P(800.0,  "USD/week", 0.0, 1e5,   "assumption", "pay of a trafficker"),
        "wage_enforcer":      P(500.0,  "USD/week", 0.0, 1e5,   "assumption", "pay of an enforcer"),
        "wage_launderer":     P(1200.0, "USD/week", 0.0, 1e5,   "assumption", "pay of a money launderer"),
        "wage_dealer":        P(300.0,  "USD/week", 0.0, 1e5,   "assumption", "pay of a street dealer (besides retail margin kept by the org)"),
        "launder_share":      P(0.3,    "1/week",   0.0, 1.0,   "assumption", "share of cash above the reserve offered for laundering each week"),
        "launder_capacity":   P(25000.0, "USD/launderer/week", 0.0, 1e9, "assumption (~1.3M USD a year per launderer)", "cash one launderer can place per week"),
        "launder_fee":        P(0.15,   "share",    0.0, 0.9,   "assumption (fees of 10-20% reported)", "cost of laundering"),
        "aml_detection":      P(0.001,  "share",    0.0, 1.0,   "Pol20 (<0.1% of criminal finances touched)", "share of laundered flow detected and seized at state capacity 1"),
        "overhead_share":     P(0.5,    "share of revenue", 0.0, 1.0, "assumption; CR (most retail value pays low-level labour)", "operating costs outside the modelled payroll: vehicles, storage, weapons, associates, members' spending"),
        "reserve_weeks":      P(8.0,    "weeks",    0.0, 520.0, "assumption", "wage bill kept in cash before laundering"),
        "payout_rate":        P(0.02,   "1/week",   0.002, 0.2, "assumption (wealth held about a year on average; see ODD 7.6)", "share of wealth above the cash reserve paid out each week: leaders' and members' payouts beyond wages, legal fronts' losses and money lost"),
        "laundered_return":   P(0.0008, "1/week",   0.0, 0.01,  "assumption (~4%/yr)", "weekly return on laundered assets"),
    },
    "recruitment": {
        "rate":               P(2.527e-3, "1/member/week", 0.0, 0.05, "PC23 (rho)", "recruits per active member per week at reference conditions"),
        "saturation":         P(0.01,   "share",    1e-5, 0.5,  "assumption; PC23 (saturation term)", "largest share of a region's population that crime can enlist"),
        "wage_elasticity":    P(1.0,    "ratio",    0.0, 5.0,   "assumption; PROTON-OC", "elasticity of recruitment to criminal over legitimate pay"),
        "reference_wage":     P(150.0,  "USD/week", 1.0, 1e4,   "assumption", "legitimate wage at which the rate applies unchanged"),
        "replacement_rate":   P(0.02,   "1/week",   0.0, 1.0,   "assumption; REFERENCES (arrests are offset by recruitment), D14", "share of the gap below an organization's remembered headcount, role by role, filled by extra recruitment each week"),
        "replacement_memory": P(104.0,  "weeks",    1.0, 1040.0, "assumption; D14 (role-based recovery over months to years)", "how long an organization remembers the headcount of each role when it replaces lost members"),
        "fill_launderer":     P(0.3,    "share",    0.01, 1.0,  "assumption; D14 (scarce roles slow recovery most)", "speed of replacing lost money launderers relative to common roles (skills and trust are scarce)"),
        "fill_logistics":     P(0.6,    "share",    0.01, 1.0,  "assumption; D14 (scarce roles slow recovery most)", "speed of replacing lost traffickers relative to common roles"),
        "ties_per_recruit":   P(2.0,    "ties",     0.0, 8.0,   "assumption; PROTON-OC (recruitment through ties)", "network ties a new member forms"),
    },
    "enforcement": {
        "arrest_rate":        P(2.0e-3, "1/member/week", 0.0, 0.05, "calibrated: convictions ~3%/yr of members (PC23: ~5,700 incapacitated/yr of ~175,000)", "arrest hazard at enforcement capacity 1 and no intelligence"),
        "exposure_dealer":    P(2.0,    "ratio",    0.0, 20.0,  "assumption", "arrest exposure of street dealers"),
        "exposure_logistics": P(1.0,    "ratio",    0.0, 20.0,  "assumption", "arrest exposure of traffickers"),
        "exposure_enforcer":  P(1.2,    "ratio",    0.0, 20.0,  "assumption", "arrest exposure of enforcers"),
        "exposure_launderer": P(0.4,    "ratio",    0.0, 20.0,  "assumption", "arrest exposure of launderers"),
        "exposure_lieutenant": P(0.4,   "ratio",    0.0, 20.0,  "assumption", "arrest exposure of lieutenants"),
        "sentence_weeks":     P(156.0,  "weeks",    1.0, 2600.0, "assumption", "mean prison sentence"),
        "return_prob":        P(0.5,    "prob.",    0.0, 1.0,   "assumption", "probability a released member returns to an active organization"),
        "exit_rate":          P(4e-4,   "1/week",   0.0, 0.05,  "assumption (~2%/yr)", "voluntary exit hazard"),
        "unpaid_exit_multiplier": P(25.0, "ratio",  0.0, 1000.0, "assumption", "exit hazard multiplier while the organization cannot pay (1 + m): ~1%/week leave"),
        "investigator_cost":  P(3000.0, "USD/week", 1.0, 1e6,   "assumption", "cost of one investigator"),
        "intel_rate":         P(2e-4,   "1/investigator/week", 0.0, 0.1, "assumption", "intelligence gained per investigator-week on an organization"),
        "intel_decay":        P(0.01,   "1/week",   0.0, 1.0,   "assumption", "weekly decay of intelligence"),
        "share_rate":         P(0.3,    "share",    0.0, 1.0,   "assumption", "share of a partner's intelligence passed on each week"),
        "case_threshold":     P(0.5,    "intel",    0.0, 1.0,   "assumption", "intelligence at which a case against the leadership can mature"),
        "case_rate":          P(0.005,  "1/week",   0.0, 1.0,   "assumption", "weekly probability a case above threshold ends in arrests"),
        "case_lieutenants":   P(3.0,    "members",  0.0, 100.0, "assumption", "lieutenants arrested with a matured case"),
        "case_asset_share":   P(0.3,    "share",    0.0, 1.0,   "assumption", "share of cash and laundered assets seized with a matured case"),
    },
    "conflict": {
        "theta":              P(2.3e-8, "1/member pair/week", 0.0, 1e-4, "calibrated from PC23 theta=1.549e-8 (national pairs) to ~3.7%/yr of members killed with regional pairs", "killing rate between members of rival organizations sharing a region"),
        "rivalry_base":       P(1.0,    "ratio",    0.0, 10.0,  "PC23 (K=(rivalry+1)/(alliance+1))", "rivalry between organizations with no recorded tie"),
        "succession_boost":   P(2.0,    "ratio",    0.0, 20.0,  "C15, P15, LP18", "extra violence multiplier right after an organization's leader falls; it fades linearly to 0 over the succession"),
        "succession_weeks":   P(26.0,   "weeks",    1.0, 260.0, "C15 (violence concentrated in ~6 months)", "length of a succession"),
        "split_prob":         P(0.6,    "prob.",    0.0, 1.0,   "C15, P15 (fragmentation)", "probability of a split over a whole succession at zero cohesion; the weekly hazard scales with 1 - cohesion, so splits cluster right after the fall"),
        "split_share":        P(0.5,    "share",    0.05, 0.95, "assumption; C15, P15 (fragments take regional cells)", "share of the organization's active members, in every region where it operates, that a fragment takes"),
        "cohesion_shock":     P(0.6,    "share",    0.0, 1.0,   "assumption", "cohesion lost when the leader is removed"),
        "cohesion_recovery":  P(0.02,   "1/week",   0.0, 1.0,   "assumption", "weekly recovery of cohesion toward 1"),
        "mid_level_coordination": P(0.5, "share",   0.0, 1.0,   "REFERENCES (mid-level arrests: short-run dip)", "share of an organization's violence that needs lieutenants to organize"),
        "exposure_leader":    P(0.2,    "ratio",    0.0, 10.0,  "assumption", "relative risk of being killed: leaders"),
        "exposure_lieutenant": P(0.6,   "ratio",    0.0, 10.0,  "assumption", "relative risk of being killed: lieutenants"),
        "exposure_logistics": P(0.8,    "ratio",    0.0, 10.0,  "assumption", "relative risk of being killed: traffickers"),
        "exposure_enforcer":  P(1.5,    "ratio",    0.0, 10.0,  "assumption", "relative risk of being killed: enforcers"),
        "exposure_launderer": P(0.3,    "ratio",    0.0, 10.0,  "assumption", "relative risk of being killed: launderers"),
        "exposure_dealer":    P(1.0,    "ratio",    0.0, 10.0,  "assumption", "relative risk of being killed: dealers"),
        "split_rivalry":      P(5.0,    "ratio",    0.0, 50.0,  "C15 (fragments fight their parent)", "rivalry between a fragment and its parent organization"),
        "arms_lethality":     P(0.05,   "per gun/1000 residents", 0.0, 10.0, "assumption", "extra lethality per trafficked firearm per 1000 residents"),
        "firearm_decay":      P(0.003,  "1/week",   0.0, 1.0,   "assumption (half-life ~4.4 years)", "weekly loss of trafficked firearms from circulation"),
        "bystander_ratio":    P(4.0,    "victims/member killed", 0.0, 20.0, "PC23 (Mexico: ~35,000 homicides and missing vs ~6,500 members killed a year gives up to ~4.4)", "homicides of non-members attributable to criminal conflict per member killed"),
        "power_shift_boost":  P(5.0,    "ratio",    0.0, 100.0, "assumption", "extra violence per unit of weekly change in an organization's regional share"),
    },
    "corruption": {
        "offer_rate":         P(0.01,   "1/official/week", 0.0, 1.0, "assumption", "probability an honest official in a region with organizations receives an offer"),
        "bribe_multiple":     P(2.0,    "x salary", 0.0, 100.0, "M19 (bribes ~30% of rents), assumption", "weekly bribe as a multiple of the official's salary"),
        "integrity_weight":   P(4.0,    "x salary", 0.0, 100.0, "H00, assumption", "moral cost of accepting, per unit of integrity, in salaries"),
        "penalty_weeks":      P(104.0,  "weeks of salary", 0.0, 2600.0, "assumption", "loss if caught"),
        "detection_rate":     P(0.03,   "1/week",   0.0, 1.0,   "assumption", "detection hazard of a corrupt official at judicial capacity 1 (caught with weekly probability 1 - exp(-rate))"),
        "peer_weight":        P(3.0,    "x salary", 0.0, 100.0, "H00 (tipping)", "acceptance pull of the share of corrupt peers in the region"),
        "threat_weight":      P(0.02,    "x salary per homicide/100k/yr", 0.0, 100.0, "REFERENCES (plata o plomo)", "acceptance pull of local violence"),
        "noise":              P(1.0,    "x salary", 0.01, 100.0, "assumption", "scale of the logistic acceptance noise"),
        "unpaid_quit":        P(0.25,   "1/week",   0.0, 1.0,   "assumption", "weekly probability a corrupt official stops serving a patron that cannot pay"),
        "official_pay_ratio": P(2.0,    "x legit wage", 0.1, 20.0, "assumption", "official salary as a multiple of the region's legitimate wage"),
    },
    "threat": {
        "w_violence":         P(0.3,    "weight",   0.0, 1.0,   "documented threat score", "weight of violence"),
        "w_revenue":          P(0.25,   "weight",   0.0, 1.0,   "documented threat score", "weight of revenue"),
        "w_corruption":       P(0.2,    "weight",   0.0, 1.0,   "documented threat score", "weight of corruption reach"),
        "w_reach":            P(0.15,   "weight",   0.0, 1.0,   "documented threat score", "weight of transnational reach"),
        "w_arms_people":      P(0.1,    "weight",   0.0, 1.0,   "documented threat score", "weight of firearms and human trafficking"),
        "targeting_exponent": P(1.0,    "ratio",    0.0, 5.0,   "assumption", "how strongly agencies focus investigators on the top threats"),
    },
    "structure": {
        "cartel_lieutenant":  P(0.03,   "share",    0.0, 0.5,   "assumption; D14 (role-based structure)", "target share of lieutenants in a cartel"),
        "cartel_logistics":   P(0.30,   "share",    0.0, 1.0,   "assumption", "target share of traffickers in a cartel"),
        "cartel_enforcer":    P(0.30,   "share",    0.0, 1.0,   "assumption", "target share of enforcers in a cartel"),
        "cartel_launderer":   P(0.04,   "share",    0.0, 1.0,   "assumption", "target share of money launderers in a cartel"),
        "cartel_dealer":      P(0.33,   "share",    0.0, 1.0,   "assumption", "target share of street dealers in a cartel"),
        "gang_lieutenant":    P(0.05,   "share",    0.0, 0.5,   "assumption", "target share of lieutenants in a gang"),
        "gang_logistics":     P(0.05,   "share",    0.0, 1.0,   "assumption", "target share of traffickers in a gang"),
        "gang_enforcer":      P(0.40,   "share",    0.0, 1.0,   "assumption", "target share of enforcers in a gang"),
        "gang_launderer":     P(0.01,   "share",    0.0, 1.0,   "assumption", "target share of money launderers in a gang"),
        "gang_dealer":        P(0.49,   "share",    0.0, 1.0,   "assumption", "target share of street dealers in a gang"),
        "initial_ties":       P(2, "ties/member", 0, 6, "assumption", "ties each initial member forms inside its organization and region", int),
        "initial_intel":      P(0.1,    "intel",    0.0, 1.0,   "assumption", "agencies' initial intelligence on organizations in their jurisdiction"),
    },
    "run": {
        "conservation_checks": P(1, "level", 0, 2, "engineering", "check drug mass, members and money every week: 0 off, 1 on (the slot-by-slot member recount every 13 weeks and in the last week), 2 on with the member recount every week", int),
        "spinup_weeks":       P(260, "weeks",   0, 1040, "engineering; measured in ODD 5 (prices settle in months; intelligence, corruption and the jail population in about five years)", "unreported weeks run before week 0, without interventions and on their own random streams, so that scenarios start at the model's own state", int),
    },
}
# fmt: on


def defaults() -> dict[str, dict[str, Any]]:
    """Nested dict of default values."""
    return {g: {k: p.kind(p.default) for k, p in grp.items()} for g, grp in PARAMS.items()}


def check_overrides(overrides: Any, where: str = "params") -> list[str]:
    """Return one message per problem in a nested override dict (unknown keys, types, ranges)."""
    errors: list[str] = []
    if overrides is None:
        return errors
    if not isinstance(overrides, dict):
        return [f"{where}: expected a mapping of parameter groups"]
    for group, values in overrides.items():
        if group not in PARAMS:
            errors.append(f"{where}.{group}: unknown parameter group; valid: {', '.join(PARAMS)}")
            continue
        if not isinstance(values, dict):
            errors.append(f"{where}.{group}: expected a mapping of parameters")
            continue
        for name, value in values.items():
            path = f"{where}.{group}.{name}"
            if name not in PARAMS[group]:
                errors.append(f"{path}: unknown parameter; valid: {', '.join(PARAMS[group])}")
                continue
            errors.extend(check_value(PARAMS[group][name], value, path))
    return errors


def check_value(p: Param, value: Any, path: str) -> list[str]:
    from .yamlio import shorten

    if isinstance(value, bool) or not isinstance(value, int | float):
        return [f"{path}: expected a number, got {shorten(value)}"]
    if not math.isfinite(value):
        return [f"{path}: expected a finite number, got {value}"]
    if p.kind is int and float(value) != int(value):
        return [f"{path}: expected an integer, got {value!r}"]
    if not (p.lo <= value <= p.hi):
        return [f"{path}: {value} is out of range [{p.lo:g}, {p.hi:g}] ({p.unit})"]
    return []


def merge(base: dict, overrides: dict | None) -> dict:
    """Deep-merge ``overrides`` into a copy of ``base``."""
    out = {k: (dict(v) if isinstance(v, dict) else v) for k, v in base.items()}
    for k, v in (overrides or {}).items():
        if isinstance(v, dict) and isinstance(out.get(k), dict):
            out[k] = merge(out[k], v)
        else:
            out[k] = v
    return out


def as_namespace(values: dict[str, dict[str, Any]]) -> SimpleNamespace:
    """Attribute access for kernels' callers: ``pars.recruitment.rate``."""
    return SimpleNamespace(**{g: SimpleNamespace(**v) for g, v in values.items()})


def lookup(path: str) -> Param:
    """The declaration of a dotted parameter path (``recruitment.rate``)."""
    group, _, name = path.partition(".")
    return PARAMS[group][name]
