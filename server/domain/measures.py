"""The measures (PRODUCT.md, Measures), defined once.

Person trajectory and quarter results live here; service measures and change effects join them
as their features land.
"""
from __future__ import annotations

from collections import OrderedDict

from sqlalchemy import and_, func, or_, select

from ..extensions import db
from ..models import Change, ChangeOutcome, ChangePerson, Outcome, Person, Review
from .outcomes import owner_label, quarter_label, quarter_of, unexplained_drops


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


def trajectory(outcome: Outcome, with_notes: bool = True, with_changes: bool = True) -> dict:
    """Reviews over time with actions and changes marked on the line. `with_notes=False` leaves out
    free text (evidence, action wording, change descriptions) for anonymised views;
    `with_changes=False` leaves out the co-produced changes (for readers without the change log,
    see access.POLICY["change"])."""
    person = db.session.get(Person, outcome.person_id)
    reviews = reviews_of(outcome.id)
    unexplained = unexplained_drops(reviews)
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
            # Lower than the review before it (by happened_at), with no explanation yet: a review
            # that synced late, dated before this one, can make this one a drop after the fact.
            "needs_explanation": r.id in unexplained,
        }
        for r in reviews
    ]
    markers = []
    for action in outcome.actions:
        day = action.due_on or action.created_at.date()
        label = f"{action.description} ({owner_label(action)})" if with_notes else "Action"
        markers.append({"date": day.isoformat(), "kind": "action", "label": label, "id": action.id, "status": action.status})
    for change in changes_for(outcome, person) if with_changes else ():
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
    from .dates import EARLIEST, latest

    year, last = int(m.group(1)), latest().year
    if not EARLIEST.year <= year <= last:
        raise Invalid(f"Give a quarter from {EARLIEST.year} to {last}.", fields={"quarter": [f"The year must be {EARLIEST.year} to {last}."]})
    return year, int(m.group(2))


def previous_quarter(year: int, q: int) -> tuple[int, int]:
    return (year, q - 1) if q > 1 else (year - 1, 4)


def last_complete_quarter(today=None) -> tuple[int, int]:
    """The latest quarter that has ended: the one a service page opens on (the current quarter is
    unfinished, so its figures are partial)."""
    from datetime import date

    return previous_quarter(*quarter_of(today or date.today()))


def quarter_choices(today=None, count: int = 6) -> list[dict]:
    """The quarters a service page offers, newest first: the current one (marked unfinished), then
    the last `count` complete ones."""
    from datetime import date

    year, q = quarter_of(today or date.today())
    out = [{"quarter": quarter_label(year, q), "complete": False}]
    for _ in range(count):
        year, q = previous_quarter(year, q)
        out.append({"quarter": quarter_label(year, q), "complete": True})
    return out


def service_quarter(service, year: int, q: int, today=None) -> dict:
    """A service's figures for a quarter with the quarter before's beside them (`previous`, the same
    figures without trajectories), and whether the quarter is complete. Months that have not
    happened yet are never shown."""
    from datetime import date

    today = today or date.today()
    out = service_measures(service, year, q, today=today)
    previous = service_measures(service, *previous_quarter(year, q), with_trajectories=False, today=today)
    out["previous"] = {k: v for k, v in previous.items() if k not in {"service", "definitions"}}
    out["complete"] = date.fromisoformat(out["to"]) < today
    out["choices"] = quarter_choices(today)
    return out


def service_measures(service, year: int, q: int, with_trajectories: bool = True, today=None) -> dict:
    """The layered service figures for one quarter (PRODUCT.md, Measures). Never names or notes:
    commissioners read this. Outcomes that did not improve are counted, not hidden."""
    from datetime import datetime, time, timezone


    from ..models import Outcome, Person, Review, ServiceEvent
    from .outcomes import quarter_bounds

    start, end = quarter_bounds(year, q)
    t0 = datetime.combine(start, time.min, tzinfo=timezone.utc)
    t1 = datetime.combine(end, time.max, tzinfo=timezone.utc)
    # A fixed number of statements whatever the size of the service: the service's people are named
    # by a subquery (never a parameter each), and reviews are read as plain rows of scores and dates.
    people = select(Person.id).where(Person.service_id == service.id)
    n = db.session.execute(select(func.count()).select_from(Person).where(Person.service_id == service.id)).scalar_one()
    in_quarter = and_(Review.person_id.in_(people), Review.happened_at >= t0, Review.happened_at <= t1)
    reviews = db.session.execute(
        select(Review.id, Review.outcome_id, Review.person_id, Review.happened_at, Review.score, Review.achieved)
        .join(Outcome, Outcome.id == Review.outcome_id)
        .where(in_quarter)
        .order_by(Review.happened_at, Review.id)
    ).all()
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
    from datetime import date

    now = today or date.today()
    # Months that have not started yet are left out (an unfinished quarter shows what has happened).
    months = [(start.year, start.month + i) for i in range(3) if date(start.year, start.month + i, 1) <= now]
    restrictive = {f"{y}-{m:02d}": 0 for y, m in months}
    counts = {"community_participation": 0, "employment": 0, "hospital_admission": 0, "restrictive_practice": 0}
    for kind, at in events:
        counts[kind] = counts.get(kind, 0) + 1
        if kind == "restrictive_practice":
            key = f"{at.year}-{at.month:02d}"
            if key in restrictive:
                restrictive[key] += 1
    person_months = n * 3
    from .person_voice import quarter_figures

    voice = quarter_figures(people, start, end)  # the service's people as a subquery
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
        "complaints": voice["complaints"],
        "compliments": voice["compliments"],
        "satisfaction": voice["satisfaction"],
        "definitions": {
            "achieving_goal": "A person with at least one outcome marked achieved at a review in the quarter.",
            "improving": "A person with at least one outcome whose last score in the quarter is above its first, or achieved.",
            "outcomes": "Per outcome reviewed in the quarter: last score vs first score in the quarter; outcomes with a single review are counted apart.",
            "satisfaction": "The mean of the people's own answers to “How happy are you with your support?” (1 to 5) in feedback conversations in the quarter; n is the number of answers.",
            "complaints": "Complaints and compliments logged as service events in the quarter.",
        },
    }
    if with_trajectories:
        # Anonymised: a number per person and outcome, scores and dates only.
        labels: dict[str, int] = {}
        trajectories = []
        history: dict[str, list] = {}
        for row in db.session.execute(
            select(Review.outcome_id, Review.happened_at, Review.score)
            .where(Review.outcome_id.in_(select(Review.outcome_id).where(in_quarter)))
            .order_by(Review.happened_at, Review.id)
        ):
            history.setdefault(row.outcome_id, []).append(row)
        for outcome_id, rows in by_outcome.items():
            person_no = labels.setdefault(rows[0].person_id, len(labels) + 1)
            all_rows = history.get(outcome_id, [])
            trajectories.append(
                {"person": f"Person {person_no}", "points": [{"date": r.happened_at.date().isoformat(), "score": r.score} for r in all_rows]}
            )
        out["trajectories"] = sorted(trajectories, key=lambda t: t["person"])
    return out
