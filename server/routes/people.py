from __future__ import annotations

from flask_login import current_user, login_required
from flask_smorest import Blueprint
from sqlalchemy import select

from ..domain import access, audit, outcomes as domain, people as people_domain
from ..domain.viewlog import viewed_people
from ..extensions import db
from ..models import Person
from ..schemas.outcome import OutcomeOut
from ..schemas.person import (
    ManageQuery,
    PeopleQuery,
    PeoplePage,
    PersonAdminOut,
    PersonAdminPage,
    PersonCreateSchema,
    PersonDetailOut,
    PersonStaffOut,
    PersonUpdateSchema,
    StaffSetSchema,
)

blp = Blueprint("people", __name__, url_prefix="/api/v1/people", description="People supported (role-scoped)")


def person_summary(person: Person, dues: tuple | None = None) -> dict:
    """The list row of one person; `dues` is their entry of outcomes.review_dues when the caller
    read many people's at once."""
    if dues is None:
        dues = domain.review_dues([person.id]).get(person.id)
    active, soonest = dues or (0, None)
    return {
        "id": person.id,
        "name": person.name,
        "preferred_name": person.preferred_name,
        "service_id": person.service_id,
        "weekly_checks": person.weekly_checks,
        "ended_on": person.ended_on,
        "version": person.version,
        "active_outcomes": active,
        "next_review_due": soonest.isoformat() if soonest else None,
    }


@blp.route("")
@login_required
@blp.arguments(PeopleQuery, location="query")
@blp.response(200, PeoplePage)
def caseload(query):
    """The signed-in user's caseload: the people they may see. People whose support has ended are
    left out unless `include_ended=true`. Staff lists are audited: one view entry per person listed.

    With `limit` or `cursor`: a page `{items, next_cursor}` by name (then id), so a page costs the
    same however many people are in scope. Without either: the whole list, soonest review first,
    as before paging."""
    access.require_read(current_user, "person")
    listed = _currently_supported(select(Person).where(access.readable_rows(current_user, "person", Person)), query)
    if query["limit"] is not None or query["cursor"] is not None:
        people, next_cursor = people_domain.caseload_page(listed, query["limit"], query["cursor"])
        viewed_people(current_user, people, "people_list")
        dues = domain.review_dues([p.id for p in people])
        return {"items": [person_summary(p, dues.get(p.id, (0, None))) for p in people], "next_cursor": next_cursor}
    people = db.session.execute(listed.order_by(Person.name)).scalars().all()
    viewed_people(current_user, people, "people_list")
    # Every listed person's outcomes and latest reviews in two statements, named by the same
    # select (not by a parameter per person).
    dues = domain.review_dues(listed.with_only_columns(Person.id))
    rows = [person_summary(p, dues.get(p.id, (0, None))) for p in people]
    rows.sort(key=lambda r: (r["next_review_due"] is None, r["next_review_due"] or "", r["name"]))
    return rows


@blp.route("/<person_id>")
@login_required
@blp.response(200, PersonDetailOut)
def person_detail(person_id):
    """One person, with their active outcomes. Staff views are written to the audit log."""
    person = access.require_read(current_user, "person", person_id)
    audit.viewed(current_user, person)
    data = person_summary(person)
    data["outcomes"] = [o for o in domain.outcomes_of(person) if o.status == "active"]
    domain.show(data["outcomes"])
    return data


@blp.route("/<person_id>/outcomes")
@login_required
@blp.response(200, OutcomeOut(many=True))
def person_outcomes(person_id):
    """All of a person's outcomes, newest quarter first."""
    person = access.require_read(current_user, "outcome", person_id)
    audit.viewed(current_user, person, "outcomes")
    rows = domain.outcomes_of(person)
    domain.show(rows)
    return rows


def _currently_supported(query, args):
    """People whose support has ended leave active lists; `include_ended` brings them back."""
    return query if args.get("include_ended") else query.where(Person.ended_on.is_(None))


# ---- running an organisation: add, edit, move, end support, caseloads (managers and admins) ----

@blp.route("/manage")
@login_required
@blp.arguments(ManageQuery, location="query")
@blp.response(200, PersonAdminPage)
def manage_list(query):
    """The people you manage (registered managers: your services; admins: the organisation), by
    name, paged (`next_cursor`), each with their service and who has them on their caseload.
    `q` searches names; `include_ended=true` adds people whose support has ended."""
    return people_domain.people_page(current_user, **query)


@blp.route("", methods=["POST"])
@login_required
@blp.arguments(PersonCreateSchema)
@blp.response(201, PersonAdminOut)
def create_person(data):
    """Add a person to a service you manage (admins: any service of the organisation). Then set
    their caseload with `PUT /people/{id}/staff`."""
    person = people_domain.create_person(current_user, data)
    db.session.commit()
    return people_domain.admin_row(person)


@blp.route("/<person_id>", methods=["PATCH"])
@login_required
@blp.arguments(PersonUpdateSchema)
@blp.response(200, PersonAdminOut)
@blp.alt_response(409, description="Changed by someone else since `version`; the reply carries the current record")
def update_person(data, person_id):
    """Edit a person; `service_id` moves them (workers who lose them get tombstones); `ended_on`
    ends their support: off every caseload, list and phone, with their history kept for managers
    and reports. `ended_on: null` resumes support."""
    person = people_domain.update_person(current_user, person_id, data)
    db.session.commit()
    return people_domain.admin_row(person)


@blp.route("/<person_id>/staff")
@login_required
@blp.response(200, PersonStaffOut)
def person_staff(person_id):
    """The person as the People screen edits them, who has them on their caseload, and who may be
    put on it (staff of their service)."""
    person = people_domain.managed_person(current_user, person_id)
    return people_domain.staff_view(person)


@blp.route("/<person_id>/staff", methods=["PUT"])
@login_required
@blp.arguments(StaffSetSchema)
@blp.response(200, PersonStaffOut)
def set_person_staff(data, person_id):
    """Set who has the person on their caseload. A worker who gains them gets them and all their
    records in the next pull; one who loses them gets a tombstone and the phone deletes them."""
    result = people_domain.set_staff(current_user, person_id, data["user_ids"])
    db.session.commit()
    return result
