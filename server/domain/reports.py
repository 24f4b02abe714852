"""The quarterly commissioner report: what it contains, figure by figure, in every format.

`build()` gathers the figures once; the HTML and PDF (one Jinja template), the CSV tables and the
Excel workbook are all made from what it returns, and no figure is computed anywhere else: the
service measures come from server/domain/measures.py, the per-outcome and per-area results from
server/domain/outcome_measures.py, change effects and theme counts from
server/domain/change_effects.py (statistics in effects.py), escalations from evidence_sources.py.

Two versions:
* anonymised (commissioners always; managers and senior leaders by default): no names and no free
  text anywhere. Rows per outcome carry pseudonymous ids that are stable within one report (the same
  service and quarter give the same ids in every format) and differ between reports, so they cannot
  be joined across quarters. Co-produced changes are numbered, not described (their descriptions
  are staff-written text). Feedback themes keep their labels (short category names the service
  chose, not notes), except a label containing any word of a person's or staff member's name in the
  organisation, which is shown as "Theme N".
* named (managers and senior leaders, for internal use): adds people's names, their goals' names
  and change descriptions.
"""
from __future__ import annotations

import base64
import hashlib
import hmac
from datetime import date, timedelta

from flask import current_app
from sqlalchemy import select

from ..extensions import db
from ..models import Change, Theme
from ..models.wellbeing import WELLBEING_LABELS
from . import change_effects, effects, evidence_sources, measures, outcome_measures
from .anonymise import ThemeLabels, anonymised_change_text, name_words  # noqa: F401 (read as reports.*)
from .themes import service_theme_counts
from .outcomes import quarter_bounds, quarter_label

CHANGES_LOOKBACK_DAYS = 365
EFFECT_WEEKS = 6
EFFECT_QUARTERS = 2
THEME_QUARTERS = 4

# ---------------------------------------------------------------------------
# The tables (CSV downloads, Excel sheets) and what every column means. README's "Evidence out"
# section lists the same columns; the methods table serves them with the report.
# ---------------------------------------------------------------------------

TABLES: dict[str, dict] = {
    "measures": {
        "title": "Service measures",
        "columns": [
            ("measure", "Identifier of the measure (stable across reports)."),
            ("label", "What is measured, in words."),
            ("unit", "people, %, outcomes, events, per person-month, admissions or escalations."),
            ("quarter", "The report's quarter, YYYYQn."),
            ("value", "The figure for the quarter (a number; blank when it cannot be computed)."),
            ("n", "How many it is counted over: people supported, outcomes compared or reviewed, or person-months."),
            ("previous_quarter", "The quarter before, YYYYQn."),
            ("previous_value", "The same figure for the previous quarter."),
            ("previous_n", "Its n."),
            ("change", "value − previous_value (blank when either is blank)."),
            ("change_in_words", "The change in words, saying whether it is better or worse where that is clear."),
        ],
    },
    "wellbeing": {
        "title": "By area of wellbeing",
        "columns": [
            ("area", "Code of the Care Act 2014 s.1(2) area of wellbeing ('none': not chosen yet)."),
            ("label", "The area in words."),
            ("quarter", "The report's quarter."),
            ("outcomes_reviewed", "Outcomes serving this area with at least one review in the quarter."),
            ("outcomes_compared", "Of those, outcomes with two or more reviews (first and last score compared)."),
            ("improved", "Compared outcomes whose last score is above their first."),
            ("same", "Compared outcomes whose last score equals their first."),
            ("worse", "Compared outcomes whose last score is below their first."),
            ("single_review", "Outcomes with one review in the quarter (no change can be measured)."),
            ("achieved", "Outcomes marked achieved at a review in the quarter."),
            ("people", "Different people those outcomes belong to."),
            ("previous_improved", "improved, previous quarter."),
            ("previous_same", "same, previous quarter."),
            ("previous_worse", "worse, previous quarter."),
            ("previous_compared", "outcomes_compared, previous quarter."),
        ],
    },
    "outcomes": {
        "title": "Outcomes, one row each",
        "columns": [
            ("outcome_ref", "Pseudonymous id of the outcome, stable within this report only."),
            ("person_ref", "Pseudonymous id of the person, stable within this report only."),
            ("wellbeing_areas", "Care Act areas the outcome serves, codes separated by ';'."),
            ("reviews", "Reviews of the outcome in the quarter."),
            ("first_score", "First score in the quarter (1-5)."),
            ("last_score", "Last score in the quarter (1-5)."),
            ("change", "last_score − first_score."),
            ("direction", "improved, same, worse, or single_review."),
            ("achieved", "1 when marked achieved at a review in the quarter, else 0."),
            ("previous_direction", "The outcome's direction in the previous quarter (blank: not reviewed then)."),
        ],
        "named": [
            ("person_name", "The person's name (named internal version only)."),
            ("outcome", "The goal's name in the person's words (named internal version only)."),
        ],
    },
    "changes": {
        "title": "Changes and their effects",
        "columns": [
            ("change_ref", "The change's number in this report (C1, C2, ...; oldest first)."),
            ("starts_on", "The date the change started."),
            ("applies_to", "'whole service' or the number of people it applies to."),
            ("measure", "incidents, engagement, mood, or 'theme: <label>' for a feedback theme it answers."),
            ("before", "Incidents: mean per week; engagement and mood: mean of weekly means (1-5); theme: share of reviewed conversations tagged."),
            ("before_n", "Weeks with checks (or reviewed conversations) before."),
            ("after", "The same figure after the change started."),
            ("after_n", "Weeks with checks (or reviewed conversations) after."),
            ("estimate_kind", "rate_ratio (incidents), difference (engagement, mood) or share_change (themes)."),
            ("estimate", "The rate ratio (after ÷ before), the difference (after − before), or the change in share."),
            ("ci95_low", "Lower end of the 95% confidence interval (blank when not computed)."),
            ("ci95_high", "Upper end of the 95% confidence interval (blank when open-ended or not computed)."),
            ("enough_data", "1 when there were enough weeks on both sides to compare, else 0."),
            ("overlapping_changes", "Other changes starting within the same weeks (their effects cannot be told apart)."),
        ],
        "named": [("description", "What the change was (named internal version only).")],
    },
    "themes": {
        "title": "Feedback themes by quarter",
        "columns": [
            ("theme", "The theme's label (or 'Theme N' where the label contains a name)."),
            ("quarter", "Quarter, YYYYQn (the report's quarter and the three before)."),
            ("conversations", "Feedback conversations held in the quarter."),
            ("reviewed", "Of those, conversations the manager has reviewed and tagged."),
            ("tagged", "Reviewed conversations tagged with this theme."),
            ("share", "tagged ÷ reviewed (blank when none were reviewed)."),
        ],
    },
    "escalations": {
        "title": "Escalations",
        "columns": [
            ("quarter", "Quarter, YYYYQn (the report's and the previous)."),
            ("rule", "deterioration, stagnation, overdue, or 'all'."),
            ("raised", "Escalations raised in the quarter."),
            ("acknowledged", "Of those, acknowledged by a senior leader."),
            ("answered", "Of those, answered (what leadership will do)."),
            ("open", "Of those, neither acknowledged nor answered by the quarter's end."),
        ],
    },
    "methods": {
        "title": "Methods",
        "columns": [
            ("table", "The table (or 'report' for figures shown only in the report)."),
            ("item", "A column or a figure."),
            ("how_computed", "What it means and how it was computed."),
        ],
    },
}
TABLE_NAMES = tuple(TABLES)

# (key, label, unit, which way is better: "higher", "lower" or None)
MEASURES = (
    ("people_supported", "People supported", "people", None),
    ("people_reviewed", "People with at least one review", "people", "higher"),
    ("people_achieving_goal", "People achieving at least one goal", "people", "higher"),
    ("percent_achieving_goal", "People achieving at least one goal", "%", "higher"),
    ("people_improving", "People with at least one outcome improving", "people", "higher"),
    ("percent_improving", "People with at least one outcome improving", "%", "higher"),
    ("outcomes_reviewed", "Outcomes reviewed", "outcomes", None),
    ("outcomes_compared", "Outcomes with two or more reviews (compared)", "outcomes", None),
    ("outcomes_improved", "Outcomes improved", "outcomes", "higher"),
    ("outcomes_same", "Outcomes the same (not improved)", "outcomes", None),
    ("outcomes_worse", "Outcomes worse", "outcomes", "lower"),
    ("outcomes_single_review", "Outcomes with one review only", "outcomes", None),
    ("outcomes_achieved", "Outcomes achieved", "outcomes", "higher"),
    ("restrictive_practices", "Restrictive practices", "events", "lower"),
    ("community_participation_per_person_month", "Community participation", "per person-month", "higher"),
    ("employment_per_person_month", "Employment engagement", "per person-month", "higher"),
    ("unplanned_hospital_admissions", "Unplanned hospital admissions", "admissions", "lower"),
    ("complaints", "Complaints", "complaints", "lower"),
    ("compliments", "Compliments", "compliments", "higher"),
    ("satisfaction_mean", "How happy people are with their support (their own answer)", "mean of 1–5", "higher"),
    ("escalations_raised", "Escalations raised (stagnation, deterioration, overdue)", "escalations", None),
)

METHODS = (
    ("report", "quarter", "Calendar quarters: Q1 January–March, Q2 April–June, Q3 July–September, Q4 October–December. Reviews are placed in a quarter by the date and time of the visit (UTC)."),
    ("report", "people", "People supported are the people whose record is in the service when the report is produced, whether or not they were reviewed."),
    ("measures", "outcomes_reviewed … outcomes_single_review", "Per outcome reviewed in the quarter: its last score in the quarter against its first. Improved: last above first; same: equal; worse: below. An outcome with one review in the quarter is counted apart (single_review): no change can be measured from one score."),
    ("measures", "outcomes_achieved", "Outcomes marked achieved at a review in the quarter."),
    ("measures", "people_achieving_goal, percent_achieving_goal", "People with at least one outcome marked achieved at a review in the quarter; the percentage is over all people supported (n)."),
    ("measures", "people_improving, percent_improving", "People with at least one outcome that improved or was achieved in the quarter; the percentage is over all people supported (n)."),
    ("measures", "restrictive_practices", "Restrictive practice events logged in the quarter, all people in the service; by month in the report."),
    ("measures", "community_participation_per_person_month, employment_per_person_month", "Community participation (or employment) events in the quarter ÷ (people supported × 3 months), to 2 decimal places. n is the person-months."),
    ("measures", "unplanned_hospital_admissions", "Hospital admission events logged in the quarter."),
    ("measures", "complaints, compliments", "Complaint (or compliment) events logged in the quarter for people in the service. n is the people supported."),
    ("measures", "satisfaction_mean", "The mean of the people's own answers to “How happy are you with your support?” (1 very unhappy to 5 very happy, chosen by the person or together on the picture scale) in feedback conversations in the quarter, to 2 decimal places. n is the number of answers; blank when there were none."),
    ("changes", "complaints, compliments, satisfaction", f"Complaints, compliments and the satisfaction answers of the people a change applies to, in the {EFFECT_QUARTERS} periods of 13 weeks before the change against the {EFFECT_QUARTERS} after; n is the number of satisfaction answers."),
    ("measures", "escalations_raised", "Escalations raised in the quarter for people in the service (stagnation: no improvement across three reviews, or 1–2 at two reviews in a row; deterioration: a drop of two or more, or two drops in a row; overdue: a review more than 14 days overdue)."),
    ("measures", "change_in_words", "value − previous value; 'better' or 'worse' is said only for measures where higher or lower is clearly better (for example fewer restrictive practices). Percentages change in points."),
    ("wellbeing", "all", "The same per-outcome results, grouped by the Care Act 2014 s.1(2) areas of wellbeing chosen with the person for each outcome. An outcome that serves several areas counts in each, so the areas add up to more than the service total."),
    ("outcomes", "outcome_ref, person_ref", "Pseudonyms made with a keyed hash (HMAC-SHA-256, keyed by the server's secret) of the service, the quarter and the record's id: the same in every format of this report, different in any other report, and not reversible without the key."),
    ("changes", "incidents", effects.METHOD_RR_LOG + " When one side had no incidents the interval is the exact conditional (Clopper-Pearson) one."),
    ("changes", "engagement, mood", effects.METHOD_WELCH),
    ("changes", "windows", f"The {EFFECT_WEEKS} weeks before a change's start and the {EFFECT_WEEKS} weeks from it, by the Monday of each week; the week a change starts mid-week is left out of both sides. At least {effects.MIN_WEEKS} weeks with weekly checks are needed on each side. Changes that started in the {CHANGES_LOOKBACK_DAYS} days to the quarter's end are listed."),
    ("changes", "themes", f"Share of reviewed feedback conversations tagged with a theme the change answers, in the {EFFECT_QUARTERS} periods of 13 weeks before the change against the {EFFECT_QUARTERS} after."),
    ("changes", "association", "Before/after comparisons in one service show association, not cause: other things change too, which is why changes starting in the same weeks are listed."),
    ("themes", "share", "Tagged ÷ reviewed conversations in the quarter. Unreviewed conversations have not yet had the chance to be tagged, so they are left out of the share."),
    ("escalations", "all", "Counted from the escalation records of people in the service, by the date each was raised."),
)

# ---------------------------------------------------------------------------
# Building the report
# ---------------------------------------------------------------------------


def _pseudonym(scope: str, kind: str, record_id: str) -> str:
    key = str(current_app.config["SECRET_KEY"]).encode()
    digest = hmac.new(key, f"{scope}|{kind}|{record_id}".encode(), hashlib.sha256).digest()
    return ("O-" if kind == "outcome" else "P-") + base64.b32encode(digest[:5]).decode()


def _delta(value, previous):
    if value is None or previous is None:
        return None
    return round(value - previous, 2)


def change_in_words(unit: str, better: str | None, value, previous) -> str:
    delta = _delta(value, previous)
    if delta is None:
        return "No comparison"
    if delta == 0:
        return "Same as last quarter"
    size = f"{abs(delta):g}" + (" points" if unit == "%" else "")
    words = f"{'Up' if delta > 0 else 'Down'} {size}"
    if better == "higher":
        words += " (better)" if delta > 0 else " (worse)"
    elif better == "lower":
        words += " (better)" if delta < 0 else " (worse)"
    return words


def _measure_values(m: dict, t: dict, e: dict) -> dict:
    people = m["people"]
    person_months = people * 3
    o = m["outcomes"]
    compared = o["improved"] + o["same"] + o["worse"]
    reviewed = compared + o["single_review"]
    return {
        "people_supported": (people, people),
        "people_reviewed": (m["people_reviewed"], people),
        "people_achieving_goal": (m["people_achieving_goal"], people),
        "percent_achieving_goal": (m["percent_achieving_goal"], people),
        "people_improving": (m["people_improving"], people),
        "percent_improving": (m["percent_improving"], people),
        "outcomes_reviewed": (reviewed, reviewed),
        "outcomes_compared": (compared, reviewed),
        "outcomes_improved": (o["improved"], compared),
        "outcomes_same": (o["same"], compared),
        "outcomes_worse": (o["worse"], compared),
        "outcomes_single_review": (o["single_review"], reviewed),
        "outcomes_achieved": (t["achieved"], reviewed),
        "restrictive_practices": (sum(m["restrictive_practices_by_month"].values()), people),
        "community_participation_per_person_month": (m["community_participation_per_person_month"], person_months),
        "employment_per_person_month": (m["employment_per_person_month"], person_months),
        "unplanned_hospital_admissions": (m["unplanned_hospital_admissions"], people),
        "complaints": (m["complaints"], people),
        "compliments": (m["compliments"], people),
        "satisfaction_mean": (m["satisfaction"]["mean"], m["satisfaction"]["n"]),
        "escalations_raised": (e["raised"], people),
    }


def _plural(n: int, one: str, many: str | None = None) -> str:
    return f"{n} {one if n == 1 else (many or one + 's')}"


def headline(o: dict, when: str = "this quarter") -> list[str]:
    """improved / same / worse in words, the outcomes that did not improve stated plainly."""
    compared = o["improved"] + o["same"] + o["worse"]
    if compared == 0:
        lines = [f"No outcome had two reviews {when}, so no change can be measured."]
    else:
        of = _plural(compared, "outcome")
        lines = [
            f"{o['improved']} of {of} improved {when}.",
            f"{o['same']} of {of} stayed the same.",
            f"{o['worse']} of {of} got worse {when}.",
            f"{o['same'] + o['worse']} of {of} did not improve.",
        ]
    if o["single_review"]:
        lines.append(f"{_plural(o['single_review'], 'more outcome was', 'more outcomes were')} reviewed once, so no change can be measured for {'it' if o['single_review'] == 1 else 'them'}.")
    return lines


def _area_sentence(group: dict) -> str:
    c = group["compared"]
    if not c:
        return f"{group['label']}: {_plural(group['reviewed'], 'outcome')} reviewed once; no change measured."
    return f"{group['label']}: {group['improved']} of {_plural(c, 'outcome')} improved, {group['same']} stayed the same, {group['worse']} got worse."


def _changes(service, end: date, named: bool, labels: ThemeLabels) -> list[dict]:
    since = end - timedelta(days=CHANGES_LOOKBACK_DAYS)
    rows = db.session.execute(
        select(Change).where(Change.service_id == service.id, Change.starts_on <= end, Change.starts_on > since)
        .order_by(Change.starts_on, Change.created_at, Change.id)
    ).scalars().all()
    out = []
    for number, change in enumerate(rows, start=1):
        effect = change_effects.effect_of(change, EFFECT_WEEKS, EFFECT_QUARTERS, anonymised=not named, theme_label=labels)
        item = {
            "ref": f"C{number}",
            "starts_on": change.starts_on,
            "applies_to": "whole service" if not change.people else _plural(len(change.people), "person", "people"),
            "themes": sorted(labels(t) for t in change.themes),
            "effect": effect,
        }
        if named:
            item["description"] = change.description
            item["co_produced_with"] = change.co_produced_with
        out.append(item)
    return out


def _themes(service, year: int, q: int, labels: ThemeLabels) -> dict:
    _, end = quarter_bounds(year, q)
    counts = service_theme_counts(service, THEME_QUARTERS, today=end)
    by_id = {}
    if counts["themes"]:
        by_id = {t.id: t for t in db.session.execute(select(Theme).where(Theme.id.in_([t["id"] for t in counts["themes"]]))).scalars()}
    themes = []
    for t in counts["themes"]:
        shares = t["shares"]
        now, before = shares[-1], shares[-2] if len(shares) > 1 else None
        if now is None or before is None:
            movement = "No comparison (no reviewed conversations in one of the quarters)"
        elif now == before:
            movement = "The same share as last quarter"
        else:
            movement = f"{'Up' if now > before else 'Down'} from {before * 100:.0f}% to {now * 100:.0f}% of reviewed conversations"
        themes.append({"label": labels(by_id[t["id"]]), "counts": t["counts"], "shares": shares, "total": t["total"], "movement": movement})
    return {"quarters": counts["quarters"], "themes": themes}


def build(actor, service, year: int, q: int, named: bool = False, today: date | None = None) -> dict:
    """Everything the report shows, for one service and quarter. The caller has checked access
    (access.report_service)."""
    py, pq = outcome_measures.previous_quarter(year, q)
    start, end = quarter_bounds(year, q)
    p_start, p_end = quarter_bounds(py, pq)
    scope = f"{service.id}|{quarter_label(year, q)}"

    m = measures.service_measures(service, year, q, with_trajectories=False)
    pm = measures.service_measures(service, py, pq, with_trajectories=False)
    results = outcome_measures.outcome_results(service.id, year, q)
    previous_results = outcome_measures.outcome_results(service.id, py, pq)
    t, pt = outcome_measures.tally(results), outcome_measures.tally(previous_results)
    esc = evidence_sources.escalation_counts(service.id, start, end)
    p_esc = evidence_sources.escalation_counts(service.id, p_start, p_end)

    values, p_values = _measure_values(m, t, esc), _measure_values(pm, pt, p_esc)
    measure_rows = []
    for key, label, unit, better in MEASURES:
        value, n = values[key]
        p_value, p_n = p_values[key]
        measure_rows.append({
            "measure": key, "label": label, "unit": unit, "value": value, "n": n,
            "previous_value": p_value, "previous_n": p_n, "change": _delta(value, p_value),
            "change_in_words": change_in_words(unit, better, value, p_value),
        })

    areas, p_areas = outcome_measures.by_wellbeing_area(results), outcome_measures.by_wellbeing_area(previous_results)
    for group, before in zip(areas, p_areas):
        group["previous"] = {k: before[k] for k in ("improved", "same", "worse", "compared", "reviewed")}
        group["sentence"] = _area_sentence(group) if group["reviewed"] else None

    previous_direction = {r["outcome_id"]: r["direction"] for r in previous_results}
    details = outcome_measures.outcome_details([r["outcome_id"] for r in results]) if named else {}
    outcome_rows = []
    for r in results:
        row = {
            "outcome_ref": _pseudonym(scope, "outcome", r["outcome_id"]),
            "person_ref": _pseudonym(scope, "person", r["person_id"]),
            "wellbeing_areas": r["areas"],
            "reviews": r["reviews"],
            "first_score": r["first"],
            "last_score": r["last"],
            "change": r["last"] - r["first"],
            "direction": r["direction"],
            "achieved": r["achieved"],
            "previous_direction": previous_direction.get(r["outcome_id"]),
        }
        if named:
            row["person_name"] = details[r["outcome_id"]]["person_name"]
            row["outcome"] = details[r["outcome_id"]]["domain"]
            row["outcome_id"] = r["outcome_id"]
            row["person_id"] = r["person_id"]
        outcome_rows.append(row)
    # Sorted by pseudonym (anonymised) so the order reveals nothing; by name when named.
    outcome_rows.sort(key=lambda r: (r.get("person_name", ""), r.get("outcome", ""), r["person_ref"], r["outcome_ref"]))

    labels = ThemeLabels(service.organisation_id, named)
    report = {
        "named": named,
        "service": {"id": service.id, "name": service.name, "kind": service.kind},
        "quarter": quarter_label(year, q),
        "previous_quarter": quarter_label(py, pq),
        "from": start,
        "to": end,
        "previous_from": p_start,
        "previous_to": p_end,
        "generated_on": today or date.today(),
        "people": m["people"],
        "people_reviewed": m["people_reviewed"],
        "headline": headline(m["outcomes"]),
        "previous_headline": headline(pm["outcomes"], when="last quarter"),
        "measures": measure_rows,
        "restrictive_practices_by_month": m["restrictive_practices_by_month"],
        "wellbeing": areas,
        "transitions": outcome_measures.transitions(results),
        "outcomes": outcome_rows,
        "worse": [r for r in outcome_rows if r["direction"] == "worse"],
        "changes": _changes(service, end, named, labels),
        "themes": _themes(service, year, q, labels),
        "escalations": {"current": esc, "previous": p_esc},
        "methods": [{"table": a, "item": b, "how_computed": c} for a, b, c in METHODS],
        "definitions": m["definitions"],
    }
    if named:
        report["viewer"] = {"name": actor.name, "role": actor.role}
    return report


# ---------------------------------------------------------------------------
# Tables for CSV and Excel: real numbers, blanks for "not computed"
# ---------------------------------------------------------------------------


def columns(name: str, named: bool) -> list[tuple[str, str]]:
    spec = TABLES[name]
    return list(spec["columns"]) + (list(spec.get("named", [])) if named else [])


def _ci(ci):
    if not ci:
        return None, None
    return ci[0], ci[1]


def _change_rows(report: dict) -> list[dict]:
    rows = []
    for c in report["changes"]:
        e = c["effect"]
        inc, eng, mood = e["measures"]["incidents"], e["measures"]["engagement"], e["measures"]["mood"]
        base = {
            "change_ref": c["ref"], "starts_on": c["starts_on"], "applies_to": c["applies_to"],
            "enough_data": int(bool(e["enough_data"])), "overlapping_changes": len(e["overlapping_changes"]),
        }
        if report["named"]:
            base["description"] = c["description"]
        lo, hi = _ci(inc["ci95"])
        rows.append({**base, "measure": "incidents", "before": inc["before"]["mean"], "before_n": inc["before"]["n"],
                     "after": inc["after"]["mean"], "after_n": inc["after"]["n"], "estimate_kind": "rate_ratio",
                     "estimate": inc["rate_ratio"], "ci95_low": lo, "ci95_high": hi})
        for key, s in (("engagement", eng), ("mood", mood)):
            lo, hi = _ci(s["ci95"])
            rows.append({**base, "measure": key, "before": s["before"]["mean"], "before_n": s["before"]["n"],
                         "after": s["after"]["mean"], "after_n": s["after"]["n"], "estimate_kind": "difference",
                         "estimate": s["difference"], "ci95_low": lo, "ci95_high": hi})
        for theme in e["themes"]:
            b, a = theme["before"], theme["after"]
            shift = round(a["share"] - b["share"], 2) if a["share"] is not None and b["share"] is not None else None
            rows.append({**base, "measure": f"theme: {theme['theme']['name']}", "before": b["share"], "before_n": b["reviewed"],
                         "after": a["share"], "after_n": a["reviewed"], "estimate_kind": "share_change",
                         "estimate": shift, "ci95_low": None, "ci95_high": None})
    return rows


def table(report: dict, name: str) -> tuple[list[str], list[list]]:
    """(column names, rows) of one table of the report."""
    if name not in TABLES:
        raise KeyError(name)
    cols = [c for c, _ in columns(name, report["named"])]
    q, pq = report["quarter"], report["previous_quarter"]
    if name == "measures":
        dicts = [{**r, "quarter": q, "previous_quarter": pq} for r in report["measures"]]
    elif name == "wellbeing":
        dicts = [
            {"area": g["code"], "label": g["label"], "quarter": q, "outcomes_reviewed": g["reviewed"],
             "outcomes_compared": g["compared"], "improved": g["improved"], "same": g["same"], "worse": g["worse"],
             "single_review": g["single_review"], "achieved": g["achieved"], "people": g["people"],
             "previous_improved": g["previous"]["improved"], "previous_same": g["previous"]["same"],
             "previous_worse": g["previous"]["worse"], "previous_compared": g["previous"]["compared"]}
            for g in report["wellbeing"]
        ]
    elif name == "outcomes":
        dicts = [{**r, "wellbeing_areas": ";".join(r["wellbeing_areas"]), "achieved": int(r["achieved"])} for r in report["outcomes"]]
    elif name == "changes":
        dicts = _change_rows(report)
    elif name == "themes":
        quarters = [row["quarter"] for row in report["themes"]["quarters"]]
        dicts = []
        for theme in report["themes"]["themes"]:
            for i, quarter in enumerate(quarters):
                row = report["themes"]["quarters"][i]
                dicts.append({"theme": theme["label"], "quarter": quarter, "conversations": row["conversations"],
                              "reviewed": row["reviewed"], "tagged": theme["counts"][i], "share": theme["shares"][i]})
    elif name == "escalations":
        dicts = []
        for quarter, counts in ((q, report["escalations"]["current"]), (pq, report["escalations"]["previous"])):
            dicts.append({"quarter": quarter, "rule": "all", "raised": counts["raised"], "acknowledged": counts["acknowledged"],
                          "answered": counts["answered"], "open": counts["open"]})
            for rule, n in counts["by_rule"].items():
                dicts.append({"quarter": quarter, "rule": rule, "raised": n, "acknowledged": None, "answered": None, "open": None})
    else:  # methods: every column of every table, then the figures' methods
        dicts = []
        for table_name in TABLE_NAMES:
            for column, meaning in columns(table_name, report["named"]):
                dicts.append({"table": table_name, "item": column, "how_computed": meaning})
        dicts += report["methods"]
    return cols, [[d.get(c) for c in cols] for d in dicts]


def area_label(code: str) -> str:
    return WELLBEING_LABELS.get(code, "No area chosen yet")
