"""Supervision linked to outcome progress: "What changed for this person this month?"

`prepare` builds the agenda for one staff member and month from what is recorded: for each person on
their caseload (whom the supervisor may also see), the month's reviews with their score movement,
reviews overdue at the end of the month, escalations not yet answered, and open actions due by the
end of the month; and the next step agreed at the previous supervision. The supervisor records what
changed and a next step per person discussed; one record per staff member per month.

Who (ACCESS.md): registered managers supervise the support workers who have someone from one of
their services on their caseload; senior leaders any support worker or registered manager of their
organisation. A support worker reads their own records. Entries about people the reader can no
longer see are left out (and counted).
"""
from __future__ import annotations

from datetime import date, datetime, time, timedelta, timezone

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from ..extensions import db
from ..models import Action, CaseloadAssignment, Escalation, Outcome, Person, Review, Supervision, SupervisionEntry, User
from . import access, audit, keyset
from .errors import AlreadyRecorded, Forbidden, Invalid, NotFound
from .learning import parse_month
from .outcomes import REVIEW_INTERVAL_DAYS, owner_label
from .rule_data import DEFAULT_REVIEW_INTERVAL_DAYS




def month_bounds(month: date) -> tuple[date, date]:
    """(first day, first day of the next month)."""
    nxt = date(month.year + (month.month == 12), month.month % 12 + 1, 1)
    return month, nxt


def _utc(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=timezone.utc)


def month_label(month: date) -> str:
    return f"{month:%B %Y}"


def caseload_of(worker: User, actor: User) -> list[Person]:
    """The people on `worker`'s caseload that `actor` may see, by name."""
    return list(db.session.execute(
        select(Person)
        .join(CaseloadAssignment, CaseloadAssignment.person_id == Person.id)
        .where(CaseloadAssignment.user_id == worker.id, Person.id.in_(access.visible_people(actor)))
        .order_by(Person.name, Person.id)
    ).scalars())


def prepare(actor: User, user_id: str, month_text: str, today: date | None = None) -> dict:
    today = today or date.today()
    worker = access.supervisee_for(actor, user_id)
    month = parse_month(month_text)
    if month > today:
        raise Invalid("That month has not started yet.", fields={"month": ["Cannot be a future month."]})
    m0, m1 = month_bounds(month)
    cutoff = min(m1 - timedelta(days=1), today)
    people = caseload_of(worker, actor)
    ids = [p.id for p in people]
    agenda = {p.id: {"person": {"id": p.id, "name": p.name, "preferred_name": p.preferred_name, "service_id": p.service_id},
                     "reviews": [], "outcomes": [], "overdue": [], "escalations": [], "actions_due": [], "previous_next_step": None}
              for p in people}
    if ids:
        _reviews(agenda, ids, m0, m1)
        _overdue(agenda, ids, cutoff)
        _escalations(agenda, ids)
        _actions(agenda, ids, m1)
        _previous(agenda, worker, m0)
    existing = db.session.execute(select(Supervision).where(Supervision.user_id == worker.id, Supervision.month == m0)).scalar_one_or_none()
    for person in people:
        audit.viewed(actor, person, "supervision_agenda")
    return {
        "user": {"id": worker.id, "name": worker.name, "role": worker.role},
        "month": f"{m0:%Y-%m}",
        "month_label": month_label(m0),
        "as_of": cutoff,
        "people": [agenda[p.id] for p in people],
        "existing": describe(actor, [existing])[0] if existing else None,
    }


def _reviews(agenda: dict, ids: list[str], m0: date, m1: date) -> None:
    """The month's reviews, each with the score before it (the previous review, in any month), and
    per outcome the movement over the month: its last score in the month against its last before."""
    previous = func.lag(Review.score).over(partition_by=Review.outcome_id, order_by=(Review.happened_at, Review.id))
    ranked = (
        select(Review.id, Review.outcome_id, Review.person_id, Review.score, Review.happened_at, previous.label("previous"))
        .where(Review.person_id.in_(ids), Review.happened_at < _utc(m1))
        .subquery()
    )
    rows = db.session.execute(
        select(ranked, Outcome.domain).join(Outcome, Outcome.id == ranked.c.outcome_id)
        .where(ranked.c.happened_at >= _utc(m0)).order_by(ranked.c.happened_at, ranked.c.id)
    ).all()
    per_outcome: dict[str, dict] = {}
    for r in rows:
        movement = "first" if r.previous is None else "improved" if r.score > r.previous else "worse" if r.score < r.previous else "same"
        agenda[r.person_id]["reviews"].append({"id": r.id, "outcome_id": r.outcome_id, "domain": r.domain, "happened_at": r.happened_at,
                                               "score": r.score, "previous_score": r.previous, "movement": movement})
        o = per_outcome.setdefault(r.outcome_id, {"outcome_id": r.outcome_id, "person_id": r.person_id, "domain": r.domain,
                                                  "before": r.previous, "last": r.score})
        o["last"] = r.score
    for o in per_outcome.values():
        before, last = o["before"], o["last"]
        movement = "first" if before is None else "improved" if last > before else "worse" if last < before else "same"
        agenda[o.pop("person_id")]["outcomes"].append({**o, "movement": movement})


def _overdue(agenda: dict, ids: list[str], cutoff: date) -> None:
    """Active outcomes whose review was past due on `cutoff` (the month's end, or today)."""
    last = (
        select(func.max(Review.happened_at)).where(Review.outcome_id == Outcome.id, Review.happened_at < _utc(cutoff + timedelta(days=1)))
        .correlate(Outcome).scalar_subquery()
    )
    rows = db.session.execute(
        select(Outcome.id, Outcome.person_id, Outcome.domain, Outcome.review_every, Outcome.starts_on, last.label("last"))
        .where(Outcome.person_id.in_(ids), Outcome.status == "active", Outcome.starts_on <= cutoff)
        .order_by(Outcome.domain)
    ).all()
    for r in rows:
        last_day = _as_date(r.last) if r.last is not None else r.starts_on
        due = last_day + timedelta(days=REVIEW_INTERVAL_DAYS.get(r.review_every, DEFAULT_REVIEW_INTERVAL_DAYS))
        if due < cutoff:
            agenda[r.person_id]["overdue"].append({"outcome_id": r.id, "domain": r.domain, "due_on": due, "days_late": (cutoff - due).days})


def _as_date(value) -> date:
    if isinstance(value, datetime):
        return (value if value.tzinfo else value.replace(tzinfo=timezone.utc)).astimezone(timezone.utc).date()
    if isinstance(value, str):  # SQLite hands back the stored text from an aggregate
        return datetime.fromisoformat(value).date()
    return value


def _escalations(agenda: dict, ids: list[str]) -> None:
    from .escalations import RULE_LABELS

    for e, domain in db.session.execute(
        select(Escalation, Outcome.domain).join(Outcome, Outcome.id == Escalation.outcome_id)
        .where(Escalation.person_id.in_(ids), Escalation.status != "answered").order_by(Escalation.raised_at.desc())
    ).all():
        agenda[e.person_id]["escalations"].append({"id": e.id, "rule": e.rule, "rule_label": RULE_LABELS.get(e.rule, e.rule),
                                                   "status": e.status, "raised_at": e.raised_at, "domain": domain})


def _actions(agenda: dict, ids: list[str], m1: date) -> None:
    for action, domain in db.session.execute(
        select(Action, Outcome.domain).join(Outcome, Outcome.id == Action.outcome_id)
        .where(Action.person_id.in_(ids), Action.status == "open", Action.due_on.is_not(None), Action.due_on < m1)
        .order_by(Action.due_on)
    ).all():
        agenda[action.person_id]["actions_due"].append({"id": action.id, "description": action.description, "due_on": action.due_on,
                                                        "domain": domain, "owner": owner_label(action)})


def _previous(agenda: dict, worker: User, m0: date) -> None:
    last = db.session.execute(
        select(Supervision).where(Supervision.user_id == worker.id, Supervision.month < m0).order_by(Supervision.month.desc()).limit(1)
    ).scalar_one_or_none()
    if last is None:
        return
    for entry in last.entries:
        if entry.person_id in agenda:
            agenda[entry.person_id]["previous_next_step"] = {"month": f"{last.month:%Y-%m}", "month_label": month_label(last.month),
                                                             "next_step": entry.next_step}


# ---- recording ----

def create(actor: User, data: dict, today: date | None = None) -> Supervision:
    today = today or date.today()
    worker = access.supervisee_for(actor, data["user_id"])
    month = parse_month(data["month"])
    if month > today:
        raise Invalid("That month has not started yet.", fields={"month": ["Cannot be a future month."]})
    held_on = data["held_on"]
    if held_on > today:
        raise Invalid("A supervision cannot be dated in the future.", fields={"held_on": ["Cannot be in the future."]})
    if held_on < month:
        raise Invalid("The supervision was held before the month it is about.", fields={"held_on": [f"Must be on or after {month.isoformat()}."]})
    caseload = {p.id: p for p in caseload_of(worker, actor)}
    seen = set()
    for i, entry in enumerate(data["entries"]):
        person_id = entry["person_id"]
        if person_id not in caseload:
            raise NotFound("No such person on this caseload.", fields={f"entries.{i}.person_id": ["Not on this staff member's caseload."]})
        if person_id in seen:
            raise Invalid("Each person once.", fields={f"entries.{i}.person_id": ["This person is already in the record."]})
        seen.add(person_id)
    taken = AlreadyRecorded(
        f"A supervision for {month_label(month)} is already recorded for {worker.name}.",
        fields={"month": [f"Already recorded for {month_label(month)}."]},
    )
    if db.session.execute(select(Supervision.id).where(Supervision.user_id == worker.id, Supervision.month == month)).first():
        raise taken
    record = Supervision(organisation_id=actor.organisation_id, user_id=worker.id, supervisor_id=actor.id, month=month, held_on=held_on)
    record.entries = [
        SupervisionEntry(person_id=e["person_id"], position=i, what_changed=e["what_changed"], next_step=e["next_step"])
        for i, e in enumerate(data["entries"])
    ]
    try:
        with db.session.begin_nested():  # two supervisors saving the same month at once: the second loses, by name
            db.session.add(record)
    except IntegrityError:
        raise taken from None
    audit.record(actor, "create", "supervision", record.id, user_id=worker.id, month=f"{month:%Y-%m}")
    for entry in record.entries:
        audit.record(actor, "create", "supervision_entry", entry.id, person=caseload[entry.person_id], supervision_id=record.id)
    return record


def list_records(actor: User, user_id: str | None = None, limit: int = keyset.DEFAULT_LIMIT, cursor: str | None = None) -> dict:
    """Supervision records, newest month first: your own (anyone supervised), or (supervisors) those
    of the staff you supervise."""
    if not access.can_read(actor, "supervision"):
        raise Forbidden("Your role has no supervision records.")
    q = select(Supervision).where(Supervision.organisation_id == actor.organisation_id)
    if user_id and user_id != actor.id:
        if actor.role not in access.GOVERNORS:
            raise NotFound("No such staff member.", fields={"user_id": ["You can read only your own supervisions."]})
        q = q.where(Supervision.user_id == access.supervisee_for(actor, user_id).id)
    elif user_id == actor.id or actor.role not in access.GOVERNORS:
        q = q.where(Supervision.user_id == actor.id)
    else:
        q = q.where((Supervision.user_id == actor.id) | Supervision.user_id.in_(access.supervisable_staff(actor)))
    q = keyset.newest_first(q, Supervision.month, Supervision.id, limit, cursor, date)
    rows, next_cursor = keyset.page(list(db.session.execute(q).scalars()), limit, lambda s: (s.month, s.id))
    return {"items": describe(actor, rows), "next_cursor": next_cursor}


def describe(actor: User, rows: list[Supervision]) -> list[dict]:
    if not rows:
        return []
    person_ids = {e.person_id for s in rows for e in s.entries}
    visible = set(db.session.execute(access.visible_people(actor).where(Person.id.in_(person_ids))).scalars()) if person_ids else set()
    names = dict(db.session.execute(select(Person.id, Person.name).where(Person.id.in_(visible))).all()) if visible else {}
    users = dict(db.session.execute(select(User.id, User.name).where(User.id.in_({u for s in rows for u in (s.user_id, s.supervisor_id)}))).all())
    out = []
    for s in rows:
        shown = [e for e in s.entries if e.person_id in visible]
        out.append({
            "id": s.id,
            "user_id": s.user_id,
            "user_name": users.get(s.user_id),
            "supervisor_id": s.supervisor_id,
            "supervisor_name": users.get(s.supervisor_id),
            "month": f"{s.month:%Y-%m}",
            "month_label": month_label(s.month),
            "held_on": s.held_on,
            "entries": [{"person_id": e.person_id, "person_name": names.get(e.person_id), "what_changed": e.what_changed,
                         "next_step": e.next_step} for e in shown],
            "hidden_entries": len(s.entries) - len(shown),
            "created_at": s.created_at,
        })
    return out


def supervisees(actor: User) -> list[dict]:
    """The staff `actor` may supervise, with how many people on their caseload `actor` can see."""
    access.require_governor(actor)
    counts = dict(db.session.execute(
        select(CaseloadAssignment.user_id, func.count())
        .where(CaseloadAssignment.person_id.in_(access.visible_people(actor)))
        .group_by(CaseloadAssignment.user_id)
    ).all())
    rows = db.session.execute(
        select(User).where(User.id.in_(access.supervisable_staff(actor)), User.active.is_(True)).order_by(User.name)
    ).scalars()
    return [{"id": u.id, "name": u.name, "role": u.role, "caseload": counts.get(u.id, 0)} for u in rows]

