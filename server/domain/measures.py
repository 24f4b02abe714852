"""The measures (PRODUCT.md, Measures), defined once.

Person trajectory and quarter results live here; service measures and change effects join them
as their features land.
"""
from __future__ import annotations

from collections import OrderedDict

from sqlalchemy import or_, select

from ..extensions import db
from ..models import Change, ChangeOutcome, ChangePerson, Outcome, Person, Review
from .outcomes import owner_label, quarter_label, quarter_of


def reviews_of(outcome_id: str) -> list[Review]:
    return list(
        db.session.execute(select(Review).where(Review.outcome_id == outcome_id).order_by(Review.happened_at)).scalars()
    )


def changes_for(outcome: Outcome, person: Person) -> list[Change]:
    """Co-produced changes that answer this outcome, apply to this person, or to their whole service."""
    applies_to_anyone = select(ChangePerson.change_id)
    q = select(Change).where(
        Change.service_id == person.service_id,
        or_(
            Change.id.in_(select(ChangeOutcome.change_id).where(ChangeOutcome.outcome_id == outcome.id)),
            Change.id.in_(select(ChangePerson.change_id).where(ChangePerson.person_id == person.id)),
            Change.id.not_in(applies_to_anyone),
        ),
    )
    return list(db.session.execute(q.order_by(Change.starts_on)).scalars())


def trajectory(outcome: Outcome, with_notes: bool = True) -> dict:
    """Reviews over time with actions and changes marked on the line. `with_notes=False` leaves out
    free text (evidence, action wording, change descriptions) for anonymised views."""
    person = db.session.get(Person, outcome.person_id)
    reviews = reviews_of(outcome.id)
    points = [
        {
            "id": r.id,
            "happened_at": r.happened_at.isoformat(),
            "score": r.score,
            "rated_by": r.rated_by,
            "achieved": r.achieved,
            "evidence": [e.text for e in r.evidence] if with_notes else [],
            "what_changed": r.what_changed if with_notes else None,
            "support_adjustment": r.support_adjustment if with_notes else None,
        }
        for r in reviews
    ]
    markers = []
    for action in outcome.actions:
        day = action.due_on or action.created_at.date()
        label = f"{action.description} ({owner_label(action)})" if with_notes else "Action"
        markers.append({"date": day.isoformat(), "kind": "action", "label": label, "id": action.id, "status": action.status})
    for change in changes_for(outcome, person):
        markers.append(
            {"date": change.starts_on.isoformat(), "kind": "change", "label": change.description if with_notes else "Co-produced change", "id": change.id}
        )
    markers.sort(key=lambda m: m["date"])
    return {"points": points, "markers": markers, "quarters": quarter_results(reviews)}


def quarter_results(reviews: list[Review]) -> list[dict]:
    """Per quarter: first and last score, the change between them, and whether the goal was
    marked achieved at a review in that quarter."""
    by_quarter: OrderedDict[tuple[int, int], list[Review]] = OrderedDict()
    for review in sorted(reviews, key=lambda r: r.happened_at):
        by_quarter.setdefault(quarter_of(review.happened_at.date()), []).append(review)
    out = []
    for (year, q), rows in by_quarter.items():
        first, last = rows[0].score, rows[-1].score
        out.append(
            {
                "quarter": quarter_label(year, q),
                "first": first,
                "last": last,
                "reviews": len(rows),
                "direction": "improved" if last > first else "worse" if last < first else "same",
                "achieved": any(r.achieved for r in rows),
            }
        )
    return out


# ---- service measures per quarter ----

def parse_quarter(text: str):
    """'2026Q3' -> (2026, 3); raises Invalid naming `quarter` otherwise."""
    from .errors import Invalid

    import re

    m = re.fullmatch(r"(\d{4})Q([1-4])", (text or "").strip().upper())
    if not m:
        raise Invalid("Give the quarter as YYYYQn, for example 2026Q3.", fields={"quarter": ["Must look like 2026Q3."]})
    return int(m.group(1)), int(m.group(2))


def service_measures(service, year: int, q: int, with_trajectories: bool = True) -> dict:
    """The layered service figures for one quarter (PRODUCT.md, Measures). Never names or notes:
    commissioners read this. Outcomes that did not improve are counted, not hidden."""
    from datetime import datetime, time, timezone

    from sqlalchemy import func

    from ..models import Outcome, Person, Review, ServiceEvent
    from .outcomes import quarter_bounds

    start, end = quarter_bounds(year, q)
    t0 = datetime.combine(start, time.min, tzinfo=timezone.utc)
    t1 = datetime.combine(end, time.max, tzinfo=timezone.utc)
    people = db.session.execute(select(Person.id).where(Person.service_id == service.id)).scalars().all()
    reviews = db.session.execute(
        select(Review).join(Outcome, Outcome.id == Review.outcome_id)
        .where(Review.person_id.in_(people), Review.happened_at >= t0, Review.happened_at <= t1)
        .order_by(Review.happened_at)
    ).scalars().all()
    by_outcome: dict[str, list] = {}
    for r in reviews:
        by_outcome.setdefault(r.outcome_id, []).append(r)
    directions = {"improved": 0, "same": 0, "worse": 0, "single_review": 0}
    achieved_people, improved_people, reviewed_people = set(), set(), set()
    for rows in by_outcome.values():
        reviewed_people.add(rows[0].person_id)
        result = quarter_results(rows)[0]
        if result["reviews"] < 2:
            directions["single_review"] += 1
        else:
            directions[result["direction"]] += 1
        if result["achieved"]:
            achieved_people.add(rows[0].person_id)
        if result["direction"] == "improved" or result["achieved"]:
            improved_people.add(rows[0].person_id)

    events = db.session.execute(
        select(ServiceEvent.kind, ServiceEvent.happened_at).where(
            ServiceEvent.person_id.in_(people), ServiceEvent.happened_at >= t0, ServiceEvent.happened_at <= t1
        )
    ).all()
    months = [(start.year, start.month + i) for i in range(3)]
    restrictive = {f"{y}-{m:02d}": 0 for y, m in months}
    counts = {"community_participation": 0, "employment": 0, "hospital_admission": 0, "restrictive_practice": 0}
    for kind, at in events:
        counts[kind] = counts.get(kind, 0) + 1
        if kind == "restrictive_practice":
            key = f"{at.year}-{at.month:02d}"
            if key in restrictive:
                restrictive[key] += 1
    person_months = len(people) * 3
    n = len(people)
    out = {
        "service": {"id": service.id, "name": service.name, "kind": service.kind},
        "quarter": quarter_label(year, q),
        "from": start.isoformat(),
        "to": end.isoformat(),
        "people": n,
        "people_reviewed": len(reviewed_people),
        "people_achieving_goal": len(achieved_people),
        "percent_achieving_goal": round(100 * len(achieved_people) / n, 1) if n else None,
        "people_improving": len(improved_people),
        "percent_improving": round(100 * len(improved_people) / n, 1) if n else None,
        "outcomes": directions,
        "restrictive_practices_by_month": restrictive,
        "community_participation_per_person_month": round(counts["community_participation"] / person_months, 2) if person_months else None,
        "employment_per_person_month": round(counts["employment"] / person_months, 2) if person_months else None,
        "unplanned_hospital_admissions": counts["hospital_admission"],
        "definitions": {
            "achieving_goal": "A person with at least one outcome marked achieved at a review in the quarter.",
            "improving": "A person with at least one outcome whose last score in the quarter is above its first, or achieved.",
            "outcomes": "Per outcome reviewed in the quarter: last score vs first score in the quarter; outcomes with a single review are counted apart.",
        },
    }
    if with_trajectories:
        # Anonymised: a number per person and outcome, scores and dates only.
        labels: dict[str, int] = {}
        trajectories = []
        for outcome_id, rows in by_outcome.items():
            person_no = labels.setdefault(rows[0].person_id, len(labels) + 1)
            all_rows = reviews_of(outcome_id)
            trajectories.append(
                {"person": f"Person {person_no}", "points": [{"date": r.happened_at.date().isoformat(), "score": r.score} for r in all_rows]}
            )
        out["trajectories"] = sorted(trajectories, key=lambda t: t["person"])
    return out
