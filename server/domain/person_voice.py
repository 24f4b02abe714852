"""What people say about their support, counted (the domain article's Example Two: "improved
continuity satisfaction", "complaints decreased").

* The optional satisfaction answer of a feedback conversation: "How happy are you with your
  support?", 1-5 on the person's own picture scale, chosen by the person (or together), never by
  staff alone.
* Complaints and compliments, logged as service events (kinds `complaint`, `compliment`) with the
  date and a short note.

The rules (`check_feedback`, `check_event`) are called by feedback.create_feedback and
events.create_event, which both the REST routes and the sync mutations feedback.create and
event.create go through. The figures are per calendar quarter (service measures, the quarterly
report) and per 13-week period before and after a change (the change page), always with their n.
"""
from __future__ import annotations

from datetime import date, datetime, time, timedelta, timezone

from sqlalchemy import func, select

from ..extensions import db
from ..models import FeedbackConversation, ServiceEvent
from . import effects
from .errors import Invalid

VOICE_KINDS = ("complaint", "compliment")
SHORT_NOTE_MAX = 300

METHOD = (
    "Satisfaction: the mean of the people's own answers to “How happy are you with your support?” "
    "(1 very unhappy to 5 very happy, chosen by the person or together) in feedback conversations in the period; "
    "n is the number of answers. Complaints and compliments: the events of those kinds logged in the period."
)


# ---- the rules ----

def check_feedback(data: dict) -> None:
    """The satisfaction answer and who chose it come together or not at all."""
    score, rated_by = data.get("satisfaction"), data.get("satisfaction_rated_by")
    if score is None and rated_by:
        raise Invalid(
            "Who chose the satisfaction picture is only recorded with an answer.",
            fields={"satisfaction": ["Choose a picture, or leave out who chose it."],
                    "satisfaction_rated_by": ["Only with a satisfaction answer."]},
        )
    if score is not None and not rated_by:
        raise Invalid(
            "Say who chose the satisfaction picture: the person, or the person and staff together.",
            fields={"satisfaction_rated_by": ["Say who chose it: person or together."]},
        )


def check_event(data: dict) -> None:
    """A complaint or compliment says in a few words what it was about."""
    if data.get("kind") not in VOICE_KINDS:
        return
    note = (data.get("note") or "").strip()
    what = data["kind"]
    if not note:
        raise Invalid(f"Say in a few words what the {what} was about.", fields={"note": [f"Say what the {what} was about."]})
    if len(note) > SHORT_NOTE_MAX:
        raise Invalid(
            f"Keep the note of a {what} short: at most {SHORT_NOTE_MAX} characters.",
            fields={"note": [f"At most {SHORT_NOTE_MAX} characters."]},
        )


# ---- the figures ----

def _start(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=timezone.utc)


def figures(people, start: date, end: date) -> dict:
    """Complaints, compliments and satisfaction for `people` (ids, or a select of ids) from `start`
    up to but not including `end`. Two aggregate queries, whatever the number of people."""
    t0, t1 = _start(start), _start(end)
    counts = dict(
        db.session.execute(
            select(ServiceEvent.kind, func.count())
            .where(
                ServiceEvent.person_id.in_(people),
                ServiceEvent.kind.in_(VOICE_KINDS),
                ServiceEvent.happened_at >= t0,
                ServiceEvent.happened_at < t1,
            )
            .group_by(ServiceEvent.kind)
        ).all()
    )
    n, total = db.session.execute(
        select(func.count(FeedbackConversation.satisfaction), func.sum(FeedbackConversation.satisfaction)).where(
            FeedbackConversation.person_id.in_(people),
            FeedbackConversation.satisfaction.is_not(None),
            FeedbackConversation.happened_at >= t0,
            FeedbackConversation.happened_at < t1,
        )
    ).one()
    n = int(n or 0)
    return {
        "complaints": int(counts.get("complaint", 0)),
        "compliments": int(counts.get("compliment", 0)),
        "satisfaction": {"mean": round(float(total) / n, 2) if n else None, "n": n},
    }


def quarter_figures(people, start: date, end: date) -> dict:
    """The same figures for a calendar quarter, `end` being its last day."""
    return figures(people, start, effects.shifted(end, timedelta(days=1)))


def before_after(people, starts_on: date, quarters: int) -> dict:
    """Per side of a change: the `quarters` 13-week periods before its start and from it (the same
    periods as the feedback themes it answers), added up."""
    periods = effects.quarter_periods(starts_on, quarters)
    out = {}
    for side in ("before", "after"):
        start, end = periods[side][0][0], periods[side][-1][1]
        out[side] = {"from": start.isoformat(), "to": effects.shifted(end, -timedelta(days=1)).isoformat(), **figures(people, start, end)}
    return {**out, "method": METHOD}
