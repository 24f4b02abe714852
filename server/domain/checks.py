"""Weekly checks: one short record per person per week (incidents, engagement, mood), the figures
a change's effect is measured on. Both the REST route (POST /checks) and the sync mutation
check.create call create_check. Who may do what is access.POLICY's kind "check"."""
from __future__ import annotations

from datetime import date

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from ..extensions import db
from ..models import User, WeeklyCheck
from ..schemas.improvement import WeeklyCheckCreateSchema
from . import access, audit, dates, mutations
from .errors import AlreadyRecorded, Invalid
from .records import check_retry, fields_for_retry


def create_check(actor: User, data: dict) -> WeeklyCheck:
    """One check per person per week; `week_of` has already been moved to its Monday."""
    person = access.require_write(actor, "check", data["person_id"])
    digest = check_retry(WeeklyCheck, data)
    week_of = data["week_of"]
    if week_of > dates.monday_of(date.today() + dates.FUTURE_GRACE):
        raise Invalid("A weekly check cannot be for a future week.", fields={"week_of": ["Cannot be a future week."]})
    taken = AlreadyRecorded(
        f"A weekly check for the week of {week_of.isoformat()} is already recorded for this person.",
        fields={"week_of": [f"Already recorded for the week of {week_of.isoformat()}."]},
    )
    existing = db.session.execute(
        select(WeeklyCheck.id).where(WeeklyCheck.person_id == person.id, WeeklyCheck.week_of == week_of)
    ).first()
    if existing is not None:
        raise taken
    check = WeeklyCheck(**fields_for_retry(data), created_by=actor.id, origin_hash=digest)
    try:
        with db.session.begin_nested():  # a concurrent check for the same week loses here, by name
            db.session.add(check)
    except IntegrityError:
        raise taken from None
    audit.record(actor, "create", "weekly_check", check.id, person=person, week_of=week_of.isoformat())
    return check


def checks_of(actor: User, person_id: str) -> list[WeeklyCheck]:
    person = access.require_read(actor, "check", person_id)
    audit.record(actor, "view", "weekly_checks", person.id, person=person)
    return list(
        db.session.execute(select(WeeklyCheck).where(WeeklyCheck.person_id == person.id).order_by(WeeklyCheck.week_of.desc())).scalars()
    )


mutations.register("check.create", WeeklyCheckCreateSchema, create_check)
