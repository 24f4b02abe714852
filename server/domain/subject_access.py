"""Subject access export (UK GDPR Article 15): everything Tandem holds about one person, in one
JSON document, with the audit of who viewed and changed their record.

A data protection officer answers a subject access request within one month: they download this
(or the ZIP, which adds the person's easy-read summary as a PDF and their record in FHIR), check
it for information about other people that should not be disclosed (staff notes can mention
family members or other residents), and hand it over. `about.how_to_read` in the document says
what each part is.
"""
from __future__ import annotations

from datetime import date, datetime, timezone

from sqlalchemy import or_, select

from ..extensions import db
from ..models import (
    Action,
    AuditEvent,
    AuthSession,
    CaseloadAssignment,
    Change,
    ChangePerson,
    EvidenceNote,
    FeedbackConversation,
    Organisation,
    Outcome,
    PushSubscription,
    Review,
    Service,
    ServiceEvent,
    User,
    WeeklyCheck,
)
from ..models.wellbeing import WELLBEING_LABELS
from . import evidence_sources

FORMAT_VERSION = 1

HOW_TO_READ = {
    "person": "The person's record: name, preferred name, service, when support started.",
    "staff_with_access": "Staff who have the person on their caseload (and so can see their records), and whether they are the keyworker.",
    "account": "The person's own sign-in to Tandem, if they have one: email, when it was made, and the devices (browsers) that signed in. No password is held in readable form.",
    "outcomes": "Goals defined with the person, in their words: what we will see, the target, review dates, status, the Care Act areas of wellbeing, and the actions (who does what).",
    "reviews": "Each review of a goal: the 1-5 score on the picture scale, who rated it (the person, staff, or together), the evidence notes, and what changed and how support was adjusted when a score dropped.",
    "evidence_notes": "Notes about the person not attached to a review.",
    "feedback_conversations": "Feedback conversations: what works well, what feels difficult, what the person would change, who took part, and the themes the manager tagged.",
    "weekly_checks": "Weekly checks: incidents, engagement and mood (1-5), and any note.",
    "events": "Events logged for service measures (for example community participation or a hospital admission).",
    "changes": "Co-produced service changes that name the person.",
    "governance": "Escalations, care-plan audits and supervision notes about the person (empty when none are held).",
    "audit": "Every time a member of staff viewed the person's record or anyone created or changed it: when, who (name and role), what, and from which device.",
}


def _iso(value):
    if isinstance(value, datetime):
        return value.astimezone(timezone.utc).isoformat()
    if isinstance(value, date):
        return value.isoformat()
    return value


def _row(obj, names) -> dict:
    return {name: _iso(getattr(obj, name)) for name in names}


def build(person, actor, now: datetime | None = None) -> dict:
    now = now or datetime.now(timezone.utc)
    users = {u.id: u for u in db.session.execute(select(User).where(User.organisation_id == person.organisation_id)).scalars()}

    def who(user_id):
        user = users.get(user_id)
        return {"id": user_id, "name": user.name, "role": user.role} if user else ({"id": user_id} if user_id else None)

    organisation = db.session.get(Organisation, person.organisation_id)
    service = db.session.get(Service, person.service_id)

    caseload = db.session.execute(select(CaseloadAssignment).where(CaseloadAssignment.person_id == person.id)).scalars().all()
    account = db.session.execute(select(User).where(User.person_id == person.id)).scalar_one_or_none()
    account_data = None
    if account is not None:
        sessions = db.session.execute(select(AuthSession).where(AuthSession.user_id == account.id).order_by(AuthSession.created_at)).scalars()
        pushes = db.session.execute(select(PushSubscription).where(PushSubscription.user_id == account.id)).scalars()
        account_data = {
            **_row(account, ["id", "email", "name", "role", "active", "created_at"]),
            "sign_ins": [_row(s, ["created_at", "revoked_at", "user_agent"]) for s in sessions],
            "push_subscriptions": [_row(p, ["created_at"]) for p in pushes],
        }

    outcomes = db.session.execute(select(Outcome).where(Outcome.person_id == person.id).order_by(Outcome.starts_on, Outcome.id)).scalars().all()
    actions = db.session.execute(select(Action).where(Action.person_id == person.id).order_by(Action.created_at, Action.id)).scalars().all()
    reviews = db.session.execute(select(Review).where(Review.person_id == person.id).order_by(Review.happened_at, Review.id)).scalars().all()
    loose_notes = db.session.execute(
        select(EvidenceNote).where(EvidenceNote.person_id == person.id, EvidenceNote.review_id.is_(None)).order_by(EvidenceNote.happened_at)
    ).scalars().all()
    feedback = db.session.execute(
        select(FeedbackConversation).where(FeedbackConversation.person_id == person.id).order_by(FeedbackConversation.happened_at)
    ).scalars().all()
    checks = db.session.execute(select(WeeklyCheck).where(WeeklyCheck.person_id == person.id).order_by(WeeklyCheck.week_of)).scalars().all()
    events = db.session.execute(select(ServiceEvent).where(ServiceEvent.person_id == person.id).order_by(ServiceEvent.happened_at)).scalars().all()
    changes = db.session.execute(
        select(Change).where(Change.id.in_(select(ChangePerson.change_id).where(ChangePerson.person_id == person.id))).order_by(Change.starts_on)
    ).scalars().all()
    audit = db.session.execute(
        select(AuditEvent).where(or_(AuditEvent.person_id == person.id, (AuditEvent.entity == "person") & (AuditEvent.entity_id == person.id)))
        .order_by(AuditEvent.at, AuditEvent.id)
    ).scalars().all()

    actions_by_outcome: dict[str, list] = {}
    for a in actions:
        actions_by_outcome.setdefault(a.outcome_id, []).append(a)

    return {
        "about": {
            "what": f"Everything Tandem holds about {person.name}, for a subject access request (UK GDPR Article 15).",
            "format_version": FORMAT_VERSION,
            "generated_at": _iso(now),
            "generated_by": who(actor.id),
            "organisation": {"id": organisation.id, "name": organisation.name},
            "times": "Times are UTC (ISO 8601); dates are calendar dates.",
            "how_to_read": HOW_TO_READ,
            "before_handing_over": (
                "Check the notes for information about other people (family members, other residents, staff) that "
                "should not be disclosed, and redact it if needed. The response is due within one month of the request."
            ),
        },
        "person": {**_row(person, ["id", "name", "preferred_name", "weekly_checks", "joined_on", "created_at", "updated_at"]),
                   "service": {"id": service.id, "name": service.name, "kind": service.kind}},
        "staff_with_access": [{"user": who(c.user_id), "keyworker": c.keyworker, "since": _iso(c.created_at)} for c in caseload],
        "account": account_data,
        "outcomes": [
            {
                **_row(o, ["id", "domain", "persons_words", "indicator", "target", "review_every", "starts_on", "review_by",
                           "status", "priority", "created_at", "updated_at"]),
                "wellbeing_areas": [{"code": c, "label": WELLBEING_LABELS[c]} for c in o.wellbeing_areas],
                "created_by": who(o.created_by),
                "actions": [
                    {**_row(a, ["id", "description", "owner_kind", "owner_name", "due_on", "status", "created_at", "updated_at"]),
                     "owner": who(a.owner_user_id) if a.owner_user_id else None, "created_by": who(a.created_by)}
                    for a in actions_by_outcome.get(o.id, [])
                ],
            }
            for o in outcomes
        ],
        "reviews": [
            {
                **_row(r, ["id", "outcome_id", "score", "rated_by", "happened_at", "what_changed", "support_adjustment", "achieved", "created_at"]),
                "created_by": who(r.created_by),
                "evidence": [{**_row(e, ["id", "text", "happened_at", "created_at"]), "created_by": who(e.created_by)} for e in r.evidence],
            }
            for r in reviews
        ],
        "evidence_notes": [{**_row(e, ["id", "text", "happened_at", "created_at"]), "created_by": who(e.created_by)} for e in loose_notes],
        "feedback_conversations": [
            {
                **_row(f, ["id", "happened_at", "works_well", "feels_difficult", "would_change", "participants", "reviewed_at", "created_at"]),
                "created_by": who(f.created_by),
                "reviewed_by": who(f.reviewed_by),
                "themes": sorted(t.name for t in f.themes),
            }
            for f in feedback
        ],
        "weekly_checks": [{**_row(c, ["id", "week_of", "incidents", "engagement", "mood", "note", "created_at"]), "created_by": who(c.created_by)} for c in checks],
        "events": [{**_row(e, ["id", "kind", "happened_at", "note", "created_at"]), "created_by": who(e.created_by)} for e in events],
        "changes": [{**_row(c, ["id", "description", "starts_on", "co_produced_with", "created_at"]), "created_by": who(c.created_by)} for c in changes],
        "governance": evidence_sources.person_records(person.id),
        "audit": [
            {**_row(e, ["at", "action", "entity", "entity_id", "device_id"]), "by": who(e.user_id), "detail": e.detail or {}}
            for e in audit
        ],
    }


README = """Subject access export from Tandem
================================

export.json   everything Tandem holds about the person, with the audit of who viewed and changed
              their record ("about.how_to_read" in the file says what each part is).
summary.pdf   the person's own easy-read summary of their goals (an accessible, tagged PDF).
fhir.json     their goals, reviews and care plan as a FHIR R4 Bundle, for another care system.

Before handing over: check the notes for information about other people that should not be
disclosed, and redact it if needed. Under the UK GDPR the response is due within one month of the
request (extendable by two months for complex requests, with the reasons given within the first month).
"""
