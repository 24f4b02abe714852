from __future__ import annotations

from flask_login import current_user, login_required
from flask_smorest import Blueprint
from sqlalchemy import select

from ..domain import access, audit, outcomes as domain
from ..domain.errors import Forbidden
from ..extensions import db
from ..models import Person
from ..schemas.outcome import OutcomeOut
from ..schemas.person import PersonDetailOut, PersonOut

blp = Blueprint("people", __name__, url_prefix="/api/v1/people", description="People supported (role-scoped)")


def _require_named_access():
    if current_user.role in {"commissioner", "admin"}:
        raise Forbidden("Your role sees aggregate figures only, not people's records.")


def person_summary(person: Person) -> dict:
    active = [o for o in domain.outcomes_of(person) if o.status == "active"]
    dues = [d for d in (domain.next_review_due(o) for o in active) if d]
    return {
        "id": person.id,
        "name": person.name,
        "preferred_name": person.preferred_name,
        "service_id": person.service_id,
        "weekly_checks": person.weekly_checks,
        "version": person.version,
        "active_outcomes": len(active),
        "next_review_due": min(dues).isoformat() if dues else None,
    }


@blp.route("")
@login_required
@blp.response(200, PersonOut(many=True))
def caseload():
    """The signed-in user's caseload: the people they may see, soonest review first."""
    _require_named_access()
    people = db.session.execute(
        select(Person).where(Person.id.in_(access.visible_people(current_user))).order_by(Person.name)
    ).scalars()
    rows = [person_summary(p) for p in people]
    rows.sort(key=lambda r: (r["next_review_due"] is None, r["next_review_due"] or "", r["name"]))
    return rows


@blp.route("/<person_id>")
@login_required
@blp.response(200, PersonDetailOut)
def person_detail(person_id):
    """One person, with their active outcomes. Staff views are written to the audit log."""
    _require_named_access()
    person = access.person_for(current_user, person_id)
    audit.viewed(current_user, person)
    data = person_summary(person)
    data["outcomes"] = [o for o in domain.outcomes_of(person) if o.status == "active"]
    return data


@blp.route("/<person_id>/outcomes")
@login_required
@blp.response(200, OutcomeOut(many=True))
def person_outcomes(person_id):
    """All of a person's outcomes, newest quarter first."""
    _require_named_access()
    person = access.person_for(current_user, person_id)
    audit.viewed(current_user, person, "outcomes")
    return domain.outcomes_of(person)
