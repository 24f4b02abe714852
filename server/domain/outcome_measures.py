"""Per-outcome quarter results for a whole service, and the same grouped by the Care Act's areas of
wellbeing. These sit beside server/domain/measures.py and use its definition of a quarter result
(`measures.quarter_results`: first vs last score in the quarter, achieved when marked achieved at a
review), so the report's groupings add up to the service figures.

Set-wise: one query for the quarter's reviews of the service's people, one for the areas of the
outcomes reviewed, whatever the number of people.
"""
from __future__ import annotations

from datetime import datetime, time, timezone

from sqlalchemy import select

from ..extensions import db
from ..models import Outcome, OutcomeWellbeingArea, Person, Review
from ..models.wellbeing import WELLBEING_AREAS
from .measures import quarter_results
from .outcomes import quarter_bounds

NO_AREA = "none"
DIRECTIONS = ("improved", "same", "worse")


def previous_quarter(year: int, q: int) -> tuple[int, int]:
    return (year, q - 1) if q > 1 else (year - 1, 4)


def outcome_results(service_id: str, year: int, q: int) -> list[dict]:
    """One row per outcome reviewed in the quarter, for the people of the service:
    {"outcome_id", "person_id", "reviews", "first", "last", "direction" (improved, same, worse, or
    "single_review" when there was one review), "achieved", "areas" (codes, in the Act's order)}."""
    start, end = quarter_bounds(year, q)
    t0 = datetime.combine(start, time.min, tzinfo=timezone.utc)
    t1 = datetime.combine(end, time.max, tzinfo=timezone.utc)
    people = select(Person.id).where(Person.service_id == service_id)
    rows = db.session.execute(
        select(Review.outcome_id, Review.person_id, Review.score, Review.happened_at, Review.achieved)
        .where(Review.person_id.in_(people), Review.happened_at >= t0, Review.happened_at <= t1)
        .order_by(Review.outcome_id, Review.happened_at)
    ).all()
    by_outcome: dict[str, list] = {}
    for r in rows:
        by_outcome.setdefault(r.outcome_id, []).append(r)
    areas: dict[str, list[str]] = {}
    reviewed = (
        select(Review.outcome_id)
        .where(Review.person_id.in_(people), Review.happened_at >= t0, Review.happened_at <= t1)
        .distinct()
    )
    for outcome_id, area in db.session.execute(
        select(OutcomeWellbeingArea.outcome_id, OutcomeWellbeingArea.area).where(OutcomeWellbeingArea.outcome_id.in_(reviewed))
    ):
        areas.setdefault(outcome_id, []).append(area)
    order = {a["code"]: i for i, a in enumerate(WELLBEING_AREAS)}
    out = []
    for outcome_id, reviews in by_outcome.items():
        result = quarter_results(reviews)[0]
        out.append(
            {
                "outcome_id": outcome_id,
                "person_id": reviews[0].person_id,
                "reviews": result["reviews"],
                "first": result["first"],
                "last": result["last"],
                "direction": result["direction"] if result["reviews"] >= 2 else "single_review",
                "achieved": result["achieved"],
                "areas": sorted(areas.get(outcome_id, []), key=order.get),
            }
        )
    return out


def tally(results: list[dict]) -> dict:
    """Counts over a set of outcome results: reviewed, compared (two or more reviews), improved,
    same, worse, single_review, achieved, people (distinct)."""
    counts = {"reviewed": len(results), "compared": 0, "improved": 0, "same": 0, "worse": 0, "single_review": 0, "achieved": 0}
    for r in results:
        counts[r["direction"]] += 1
        if r["direction"] != "single_review":
            counts["compared"] += 1
        if r["achieved"]:
            counts["achieved"] += 1
    counts["people"] = len({r["person_id"] for r in results})
    return counts


def by_wellbeing_area(results: list[dict]) -> list[dict]:
    """tally() per area of wellbeing, in the Act's order, then outcomes with no area chosen yet.
    An outcome that serves several areas is counted in each of them."""
    groups = []
    for area in WELLBEING_AREAS:
        groups.append({"code": area["code"], "label": area["label"], **tally([r for r in results if area["code"] in r["areas"]])})
    groups.append({"code": NO_AREA, "label": "No area chosen yet", **tally([r for r in results if not r["areas"]])})
    return groups


def transitions(results: list[dict]) -> list[list[int]]:
    """A 5 x 5 table: [first score - 1][last score - 1] = how many outcomes (with two or more
    reviews in the quarter) moved from that first to that last score."""
    table = [[0] * 5 for _ in range(5)]
    for r in results:
        if r["direction"] != "single_review":
            table[r["first"] - 1][r["last"] - 1] += 1
    return table


def outcome_details(outcome_ids: list[str]) -> dict[str, dict]:
    """Domain (the person's own name for the goal) and person name per outcome, for named versions."""
    out: dict[str, dict] = {}
    ids = list(outcome_ids)
    for i in range(0, len(ids), 1000):  # bound the statement's parameters on any database
        chunk = ids[i:i + 1000]
        for outcome_id, domain, person_name, status in db.session.execute(
            select(Outcome.id, Outcome.domain, Person.name, Outcome.status)
            .join(Person, Person.id == Outcome.person_id)
            .where(Outcome.id.in_(chunk))
        ):
            out[outcome_id] = {"domain": domain, "person_name": person_name, "status": status}
    return out
