"""The CQC evidence pack: what a registered manager shows an inspector on site, organised by the
quality statements it evidences. Named (it is for the inspection), every item dated and traceable
to its record (the record's kind and id, and the person's page in the app).

Inspectors assess whether outcomes are "reviewed, acted upon and shared with individuals"
(the domain article, Regulatory Expectations). The pack answers each part from the record:
* Person-centred care: people's goals in their own words; outcomes shared with the person
  (ratings made by the person or together, "My goals" sign-ins, easy-read summaries printed).
* Care provision, integration and continuity: outcomes reviewed and acted upon (reviews where a
  score dropped and support was adjusted; actions done).
* Learning culture: feedback → theme → co-produced change → measured effect; the learning log.
* Governance, management and sustainability: escalations and their answers; care-plan audits.
Escalations, the learning log and care-plan audits come from server/domain/evidence_sources.py.
"""
from __future__ import annotations

from datetime import date, datetime, time, timedelta, timezone

from sqlalchemy import func, select

from ..extensions import db
from ..models import (
    Action,
    AuditEvent,
    Change,
    FeedbackConversation,
    FeedbackTheme,
    Outcome,
    Person,
    Review,
    Theme,
    User,
)
from ..models.wellbeing import WELLBEING_LABELS
from . import access, change_effects, evidence_sources
from .pictures import PROGRESS_WORDS

MAX_DAYS = 3 * 366
RATED_BY_WORDS = {"person": "by the person", "together": "together", "staff": "by staff"}


def _n(count: int, one: str, many: str) -> str:
    return f"{count} {one if count == 1 else many}"


def _bounds(start: date, end: date):
    return datetime.combine(start, time.min, tzinfo=timezone.utc), datetime.combine(end, time.max, tzinfo=timezone.utc)


def _item(day, kind: str, record_id: str, person=None, title: str = "", lines=None) -> dict:
    return {
        "date": day.date() if isinstance(day, datetime) else day,
        "kind": kind,
        "id": record_id,
        "ref": f"{kind.lower()} {record_id}",
        "person": person.name if person else None,
        "person_id": person.id if person else None,
        "link": f"/people/{person.id}" if person else None,
        "title": title,
        "lines": [line for line in (lines or []) if line],
    }


def build(actor, service, start: date, end: date, today: date | None = None) -> dict:
    """The pack for one service and period. The caller has checked access (access.cqc_pack_service)."""
    t0, t1 = _bounds(start, end)
    people = {p.id: p for p in db.session.execute(select(Person).where(Person.service_id == service.id)).scalars()}
    in_service = select(Person.id).where(Person.service_id == service.id)
    users = dict(db.session.execute(select(User.id, User.name).where(User.organisation_id == service.organisation_id)).all())

    # ---- people's goals in their own words ----
    outcomes = db.session.execute(
        select(Outcome).where(Outcome.person_id.in_(in_service), Outcome.starts_on <= end,
                              (Outcome.status.in_(("active", "paused"))) | (Outcome.updated_at >= t0))
        .order_by(Outcome.starts_on, Outcome.id)
    ).scalars().all()
    outcome_by_id = {o.id: o for o in outcomes}
    goals = [
        _item(o.starts_on, "Outcome", o.id, people.get(o.person_id), f"“{o.persons_words}”", [
            f"Goal: {o.domain}",
            f"We will see: {o.indicator}",
            f"Target: {o.target}" if o.target else None,
            "Areas of wellbeing: " + "; ".join(WELLBEING_LABELS[c] for c in o.wellbeing_areas) if o.wellbeing_areas else None,
            f"Status: {o.status}{' (priority)' if o.priority else ''}; review by {o.review_by.isoformat()}",
        ])
        for o in outcomes
    ]

    # ---- reviews in the period ----
    reviews = db.session.execute(
        select(Review).where(Review.person_id.in_(in_service), Review.happened_at >= t0, Review.happened_at <= t1)
        .order_by(Review.happened_at, Review.id)
    ).scalars().all()
    missing = {r.outcome_id for r in reviews} - set(outcome_by_id)
    if missing:
        for o in db.session.execute(select(Outcome).where(Outcome.id.in_(missing))).scalars():
            outcome_by_id[o.id] = o

    def review_lines(r):
        return [f"Evidence: {e.text}" for e in r.evidence] + [
            f"What changed: {r.what_changed}" if r.what_changed else None,
            f"Support adjusted: {r.support_adjustment}" if r.support_adjustment else None,
            "Marked achieved" if r.achieved else None,
            f"Recorded by {users.get(r.created_by, 'unknown')}" if r.created_by else None,
        ]

    shared_ratings = [
        _item(r.happened_at, "Review", r.id, people.get(r.person_id),
              f"{outcome_by_id[r.outcome_id].domain}: {r.score} ({PROGRESS_WORDS[r.score]}), rated {RATED_BY_WORDS[r.rated_by]}",
              review_lines(r))
        for r in reviews if r.rated_by in ("person", "together")
    ]
    adjusted = [
        _item(r.happened_at, "Review", r.id, people.get(r.person_id),
              f"{outcome_by_id[r.outcome_id].domain}: score {r.score}, support adjusted", review_lines(r))
        for r in reviews if r.support_adjustment
    ]
    actions = db.session.execute(
        select(Action).where(Action.person_id.in_(in_service), Action.status == "done", Action.updated_at >= t0, Action.updated_at <= t1)
        .order_by(Action.updated_at, Action.id)
    ).scalars().all()
    for a in actions:
        if a.outcome_id not in outcome_by_id:
            outcome_by_id[a.outcome_id] = db.session.get(Outcome, a.outcome_id)
    from .outcomes import owner_label

    actions_done = [
        _item(a.updated_at, "Action", a.id, people.get(a.person_id), f"Done: {a.description}",
              [f"For the goal: {outcome_by_id[a.outcome_id].domain}", f"Owner: {owner_label(a)}",
               f"Due {a.due_on.isoformat()}" if a.due_on else None])
        for a in actions
    ]

    # ---- shared with the person: My goals sign-ins and printed summaries ----
    accounts = db.session.execute(
        select(User).where(User.role.in_(access.PERSON), User.person_id.in_(in_service), User.active.is_(True)).order_by(User.name)
    ).scalars().all()
    my_goals = [
        _item(u.created_at, "Account", u.id, people.get(u.person_id), "Has a “My goals” sign-in (easy-read goals and picture ratings)")
        for u in accounts
    ]
    printed = db.session.execute(
        select(AuditEvent).where(AuditEvent.person_id.in_(in_service), AuditEvent.entity == "person_summary",
                                 AuditEvent.at >= t0, AuditEvent.at <= t1).order_by(AuditEvent.at, AuditEvent.id)
    ).scalars().all()
    summaries = [
        _item(e.at, "Audit", str(e.id), people.get(e.person_id), "Easy-read summary of their goals printed or saved",
              [f"By {users.get(e.user_id, 'the person')}"])
        for e in printed
    ]

    # ---- feedback → theme → change → effect ----
    changes = db.session.execute(
        select(Change).where(Change.service_id == service.id, Change.starts_on >= start, Change.starts_on <= end)
        .order_by(Change.starts_on, Change.id)
    ).scalars().all()
    change_items = []
    for c in changes:
        effect = change_effects.effect_of(c, anonymised=False)
        theme_lines = []
        for theme in sorted(c.themes, key=lambda t: t.name.lower()):
            heard = db.session.execute(
                select(func.count()).select_from(FeedbackTheme)
                .join(FeedbackConversation, FeedbackConversation.id == FeedbackTheme.feedback_id)
                .where(FeedbackTheme.theme_id == theme.id, FeedbackConversation.person_id.in_(in_service),
                       FeedbackConversation.happened_at < datetime.combine(c.starts_on, time.min, tzinfo=timezone.utc))
            ).scalar_one()
            theme_lines.append(f"Feedback theme “{theme.name}”: tagged in {heard} conversation{'s' if heard != 1 else ''} before the change")
        change_items.append(_item(c.starts_on, "Change", c.id, None, c.description, [
            f"Decided with: {c.co_produced_with}",
            "Applies to: " + (", ".join(sorted(p.name for p in c.people)) if c.people else "the whole service"),
            *theme_lines,
            f"Effect: {effect['summary']}" if effect["summary"] else None,
        ]))
    theme_rows = db.session.execute(
        select(Theme.name, func.count())
        .join(FeedbackTheme, FeedbackTheme.theme_id == Theme.id)
        .join(FeedbackConversation, FeedbackConversation.id == FeedbackTheme.feedback_id)
        .where(FeedbackConversation.person_id.in_(in_service), FeedbackConversation.happened_at >= t0, FeedbackConversation.happened_at <= t1)
        .group_by(Theme.name).order_by(func.count().desc(), Theme.name)
    ).all()
    conversations = db.session.execute(
        select(func.count()).select_from(FeedbackConversation)
        .where(FeedbackConversation.person_id.in_(in_service), FeedbackConversation.happened_at >= t0, FeedbackConversation.happened_at <= t1)
    ).scalar_one()

    learning = [
        _item(e["recorded_on"], "Learning", e["id"], None, e["learned"], [
            f"Decision: {e['decision']}", f"Source: {e['source_kind']}" if e.get("source_kind") else None,
            f"Led to change {e['change_id']}" if e.get("change_id") else None, f"Recorded by {e['recorded_by']}" if e.get("recorded_by") else None,
        ])
        for e in evidence_sources.learning_entries(service.id, start, end)
    ]
    escalations = [
        _item(e["raised_at"], "Escalation", e["id"], people.get(e["person_id"]), f"{e['rule'].capitalize()}: {e['status']}", [
            f"Acknowledged by {e['acknowledged_by']} on {e['acknowledged_at']:%Y-%m-%d}" if e.get("acknowledged_at") else "Not yet acknowledged",
            f"Answer ({e['answered_by']}, {e['answered_at']:%Y-%m-%d}): {e['answer']}" if e.get("answered_at") else "Not yet answered",
        ])
        for e in evidence_sources.escalations(service.id, start, end)
    ]
    audits = [
        _item(a["audited_on"], "Audit", a["id"], people.get(a["person_id"]), f"Care-plan re-audit by {a['audited_by']}", [
            f"{o['domain']}: still relevant {'yes' if o['still_relevant'] else 'no'}; person-led {'yes' if o['person_led'] else 'no'}; "
            f"the person can describe it {'yes' if o['person_can_describe'] else 'no'}" + (f". {o['note']}" if o.get("note") else "")
            for o in a["outcomes"]
        ])
        for a in evidence_sources.care_plan_audits(service.id, start, end)
    ]

    reviewed_outcomes = {r.outcome_id for r in reviews}
    by_person_or_together = sum(1 for r in reviews if r.rated_by in ("person", "together"))
    return {
        "service": {"id": service.id, "name": service.name, "kind": service.kind},
        "from": start,
        "to": end,
        "generated_on": today or date.today(),
        "viewer": {"name": actor.name, "role": actor.role},
        "figures": {
            "people": len(people),
            "goals": len(goals),
            "reviews": len(reviews),
            "outcomes_reviewed": len(reviewed_outcomes),
            "rated_by_person_or_together": by_person_or_together,
            "support_adjusted": len(adjusted),
            "actions_done": len(actions_done),
            "my_goals_accounts": len(my_goals),
            "feedback_conversations": conversations,
            "changes": len(change_items),
        },
        "statements": [
            {
                "key": "person_centred", "title": "Person-centred care",
                "sections": [
                    {"title": "People's goals in their own words", "items": goals,
                     "intro": f"{_n(len(goals), 'goal', 'goals')} of {_n(len(people), 'person', 'people')}, written with them in their own words."},
                    {"title": "Outcomes shared with the person", "items": shared_ratings + my_goals + summaries,
                     "intro": f"{by_person_or_together} of {_n(len(reviews), 'review', 'reviews')} in the period were rated by the person or together; "
                              f"{_n(len(my_goals), 'person has', 'people have')} their own “My goals” sign-in; "
                              f"{_n(len(summaries), 'easy-read summary was', 'easy-read summaries were')} printed or saved."},
                ],
            },
            {
                "key": "continuity", "title": "Care provision, integration and continuity",
                "sections": [
                    {"title": "Outcomes reviewed and acted upon: support adjusted after a review", "items": adjusted,
                     "intro": f"{_n(len(reviews), 'review', 'reviews')} of {_n(len(reviewed_outcomes), 'outcome', 'outcomes')} in the period; "
                              f"{len(adjusted)} led to a recorded change of support."},
                    {"title": "Outcomes reviewed and acted upon: actions done", "items": actions_done,
                     "intro": f"{_n(len(actions_done), 'action was', 'actions were')} completed in the period."},
                ],
            },
            {
                "key": "learning", "title": "Learning culture",
                "sections": [
                    {"title": "Feedback → theme → change → effect", "items": change_items,
                     "intro": f"{_n(conversations, 'feedback conversation', 'feedback conversations')} in the period. Themes tagged: "
                              + ("; ".join(f"{name} ({n})" for name, n in theme_rows) if theme_rows else "none") + ". "
                              f"{_n(len(change_items), 'co-produced change', 'co-produced changes')} started in the period; "
                              "their measured effects show association, not cause."},
                    {"title": "The learning log", "items": learning,
                     "intro": f"{_n(len(learning), 'learning entry', 'learning entries')} recorded in the period."},
                ],
            },
            {
                "key": "governance", "title": "Governance, management and sustainability",
                "sections": [
                    {"title": "Escalations and their answers", "items": escalations,
                     "intro": f"{_n(len(escalations), 'escalation', 'escalations')} (stagnation, deterioration or an overdue review) raised in the period."},
                    {"title": "Care-plan audits", "items": audits,
                     "intro": f"{_n(len(audits), 'care-plan re-audit', 'care-plan re-audits')} in the period."},
                ],
            },
        ],
    }


def default_period(today: date | None = None) -> tuple[date, date]:
    today = today or date.today()
    return today - timedelta(days=365), today
