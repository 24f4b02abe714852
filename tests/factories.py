"""Small factories. Each returns plain ids so tests can use them outside the app context."""
from __future__ import annotations

from datetime import date, timedelta

from werkzeug.security import generate_password_hash

from server.extensions import db
from server.models import CaseloadAssignment, Organisation, Outcome, Person, Service, User, UserService

PASSWORD = "demo-password"
_HASH = generate_password_hash(PASSWORD)


def organisation(app, name="Org", services=("supported_living",)):
    """An organisation with services, a worker, manager, senior, commissioner, admin and two people
    (one on the worker's caseload, one not). Returns a dict: "person"/"other_person" are Person ids,
    "<role>" the account's email ("person_email" for the person's own account), "<role>_id" its user id."""
    with app.app_context():
        org = Organisation(name=name)
        db.session.add(org)
        db.session.flush()
        svcs = [Service(organisation_id=org.id, name=f"{name} {kind}", kind=kind) for kind in services]
        db.session.add_all(svcs)
        db.session.flush()
        slug = name.lower().replace(" ", "")
        on = Person(organisation_id=org.id, service_id=svcs[0].id, name=f"{name} Person One")
        off = Person(organisation_id=org.id, service_id=svcs[0].id, name=f"{name} Person Two")
        db.session.add_all([on, off])
        db.session.flush()
        ids = {"org": org.id, "services": [s.id for s in svcs], "service": svcs[0].id, "person": on.id, "other_person": off.id}
        for role in ("support_worker", "registered_manager", "senior_leader", "commissioner", "admin", "person"):
            email = f"{role}@{slug}.example"
            user = User(organisation_id=org.id, email=email, name=f"{name} {role}", role=role, password_hash=_HASH,
                        person_id=on.id if role == "person" else None)
            db.session.add(user)
            db.session.flush()
            # "person" already names the Person record; the person's own account is "person_email".
            ids["person_email" if role == "person" else role] = email
            ids[role + "_id"] = user.id
            if role in ("registered_manager", "commissioner"):
                db.session.add(UserService(user_id=user.id, service_id=svcs[0].id))
            if role == "support_worker":
                db.session.add(CaseloadAssignment(user_id=user.id, person_id=on.id))
        db.session.commit()
        return ids


def outcome(app, person_id, **kw):
    with app.app_context():
        fields = dict(
            person_id=person_id,
            domain="Confidence using buses",
            persons_words="Going into town on my own.",
            indicator="Travels alone by bus with a check-in text",
            target="Twice a month",
            starts_on=date.today() - timedelta(days=120),
            review_by=date.today() + timedelta(days=120),
            priority=False,
        )
        fields.update(kw)
        o = Outcome(**fields)
        db.session.add(o)
        db.session.commit()
        return o.id
