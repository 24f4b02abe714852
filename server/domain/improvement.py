"""Listening that leads to change (the domain article's Examples Two and Three).

Feedback conversations and the themes a manager tags them with; co-produced changes; weekly
checks and service events; and the before/after evidence for a change (the statistics are in
effects.py). Both the REST routes and the sync mutations (feedback.create, check.create,
event.create, change.create) call the create functions here with already-loaded schema data.

Who may do what (ACCESS.md):
* feedback, weekly checks, events: created by support workers (their caseload) and registered
  managers (their services); read by those and by senior leaders.
* tagging themes and logging changes: registered managers, in their own services.
* changes: staff read them in the services they can see (a support worker sees only the names of
  people on their caseload); commissioners see them anonymised (no description, no names, no
  free text) because a change's description is staff-written free text.
* a change's effect: managers and senior leaders in full, commissioners anonymised; support
  workers are refused, because a change that applies to named people outside their caseload would
  show those people's weekly figures.
* feedback, themes and theme counts: staff only; commissioners and people supported are refused
  (themes are staff-written labels about what people said).
"""
from __future__ import annotations

import re
from datetime import date, datetime, timedelta, timezone

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from ..extensions import db
from ..models import (
    Change,
    FeedbackConversation,
    FeedbackTheme,
    Outcome,
    Person,
    ServiceEvent,
    Theme,
    User,
    WeeklyCheck,
)
from . import access, audit, effects
from .errors import DomainError, Forbidden, Invalid, NotFound
from .outcomes import quarter_bounds, quarter_label, quarter_of
from .records import check_retry

FUTURE_GRACE = timedelta(days=1)
READERS = {"support_worker", "registered_manager", "senior_leader"}
EFFECT_READERS = {"registered_manager", "senior_leader", "commissioner"}
ANONYMISED = {"commissioner"}


class AlreadyRecorded(DomainError):
    """A second record where only one may exist (one weekly check per person per week)."""

    status = 409
    code = "already_recorded"


def _now() -> datetime:
    return datetime.now(timezone.utc)


def _not_future(value: datetime, field: str) -> None:
    if value > _now() + FUTURE_GRACE:
        raise Invalid("This cannot be dated in the future.", fields={field: ["Cannot be more than a day in the future."]})


def _require_reader(actor: User, roles=READERS) -> None:
    if actor.role not in roles:
        raise Forbidden("Your role cannot see this.")


def _fields_for_retry(data: dict) -> dict:
    return {k: v for k, v in data.items() if k != "id" or v}


# ---------------------------------------------------------------------------
# Feedback conversations
# ---------------------------------------------------------------------------


def create_feedback(actor: User, data: dict) -> FeedbackConversation:
    person = access.person_for(actor, data["person_id"], write=True)
    digest = check_retry(FeedbackConversation, data)
    _not_future(data["happened_at"], "happened_at")
    conversation = FeedbackConversation(**_fields_for_retry(data), created_by=actor.id, origin_hash=digest)
    db.session.add(conversation)
    db.session.flush()
    audit.record(actor, "create", "feedback", conversation.id, person=person)
    return conversation


def feedback_for(actor: User, feedback_id: str) -> FeedbackConversation:
    conversation = db.session.get(FeedbackConversation, str(feedback_id)) if feedback_id else None
    missing = NotFound("No such feedback conversation.", fields={"feedback_id": ["No such feedback conversation."]})
    if conversation is None:
        raise missing
    try:
        access.person_for(actor, conversation.person_id)
    except NotFound:
        raise missing from None
    return conversation


def list_feedback(actor: User, service_id: str | None = None, status: str = "all", person_id: str | None = None, limit: int = 100) -> list[FeedbackConversation]:
    _require_reader(actor)
    q = select(FeedbackConversation).join(Person, Person.id == FeedbackConversation.person_id).where(
        FeedbackConversation.person_id.in_(access.visible_people(actor))
    )
    if service_id:
        service = access.service_for(actor, service_id)
        q = q.where(Person.service_id == service.id)
    if person_id:
        try:
            person = access.person_for(actor, person_id)
        except NotFound:
            raise NotFound("No such person.", fields={"person": ["No such person."]}) from None
        q = q.where(FeedbackConversation.person_id == person.id)
    if status == "unreviewed":
        q = q.where(FeedbackConversation.reviewed_at.is_(None))
    elif status == "reviewed":
        q = q.where(FeedbackConversation.reviewed_at.is_not(None))
    q = q.order_by(FeedbackConversation.happened_at.desc(), FeedbackConversation.id).limit(limit)
    return list(db.session.execute(q).scalars())


def view_feedback(actor: User, feedback_id: str) -> FeedbackConversation:
    _require_reader(actor)
    conversation = feedback_for(actor, feedback_id)
    audit.record(actor, "view", "feedback", conversation.id, person=db.session.get(Person, conversation.person_id))
    return conversation


def _theme_by_name(organisation_id: str, name: str) -> Theme | None:
    return db.session.execute(
        select(Theme).where(Theme.organisation_id == organisation_id, func.lower(Theme.name) == name.lower())
    ).scalars().first()


def _themes_by_id(actor: User, theme_ids: list[str], field: str = "theme_ids") -> list[Theme]:
    themes = []
    for theme_id in theme_ids:
        theme = db.session.get(Theme, theme_id)
        if theme is None or theme.organisation_id != actor.organisation_id:
            raise NotFound("No such theme.", fields={field: [f"No such theme: {theme_id}."]})
        themes.append(theme)
    return themes


def review_feedback(actor: User, feedback_id: str, data: dict) -> FeedbackConversation:
    """Tag themes on a conversation (replacing its tags) and mark it reviewed. Existing themes are
    reused by name, whatever the case; new names become themes of the organisation."""
    access.require_role(actor, *access.MANAGERS)
    conversation = feedback_for(actor, feedback_id)
    themes = _themes_by_id(actor, data.get("theme_ids") or [])
    for raw in data.get("new_themes") or []:
        name = " ".join(raw.split())
        theme = _theme_by_name(actor.organisation_id, name)
        if theme is None:
            theme = Theme(organisation_id=actor.organisation_id, name=name)
            db.session.add(theme)
            db.session.flush()
            audit.record(actor, "create", "theme", theme.id, name=name)
        themes.append(theme)
    unique = list({t.id: t for t in themes}.values())
    conversation.themes = sorted(unique, key=lambda t: t.name.lower())
    conversation.reviewed_at = _now()
    conversation.reviewed_by = actor.id
    db.session.flush()
    person = db.session.get(Person, conversation.person_id)
    audit.record(actor, "review", "feedback", conversation.id, person=person, themes=[t.id for t in unique])
    return conversation


# ---- theme suggestions ----

STOPWORDS = frozenset(
    """a about above after again against all almost also am an and any are aren't as at be because been
    before being below between both but by can can't cannot could couldn't did didn't do does doesn't doing
    don't down during each even ever every few for from further get gets getting got had hadn't has hasn't
    have haven't having he he'd he'll he's her here here's hers herself him himself his how how's i i'd i'll
    i'm i've if in into is isn't it it's its itself just let's like me more most much mustn't my myself
    no nor not now of off often on once only or other ought our ours ourselves out over own quite rather
    really same shan't she she'd she'll she's should shouldn't so some such than that that's the their
    theirs them themselves then there there's these they they'd they'll they're they've this those
    though through to too under until up upon us very was wasn't we we'd we'll we're we've were weren't
    what what's when when's where where's which while who who's whom why why's will with won't would
    wouldn't yes yet you you'd you'll you're you've your yours yourself yourselves bit lot lots thing
    things still sometimes always never one two three nothing something anything everything""".split()
)
MIN_CUE_CONVERSATIONS = 2  # a word must have appeared in at least this many conversations tagged with the theme
MIN_CUE_SHARE = 0.5  # ... and at least this share of the earlier conversations containing it were tagged with it
MIN_CUE_LIFT = 0.25  # ... which is at least this far above the theme's share of all earlier conversations


def words_of(*texts: str) -> set[str]:
    words = set()
    for text in texts:
        for word in re.findall(r"[a-z][a-z']*[a-z]|[a-z0-9]+", (text or "").lower().replace("’", "'")):
            if word.endswith("'s"):
                word = word[:-2]
            if len(word) >= 3 and word not in STOPWORDS:
                words.add(word)
    return words


def _answers(conversation: FeedbackConversation) -> set[str]:
    return words_of(conversation.works_well, conversation.feels_difficult, conversation.would_change)


def suggest_themes(actor: User, feedback_id: str) -> dict:
    """Existing themes whose words already appeared in earlier tagged answers.

    For each word of this conversation's answers and each theme: in how many earlier reviewed
    conversations of the organisation the word appeared (`seen`), and in how many of those the
    manager tagged the theme (`tagged`). A word is a cue for the theme when tagged >= 2 and
    tagged/seen is at least 0.5 and at least 0.25 above the theme's share of all earlier reviewed
    conversations (so words that are everywhere, like "carers", do not count), or when the word is
    part of the theme's name and was in at least one conversation tagged with it. Themes are
    ranked by their strongest cue, then by how many cues they have.
    """
    access.require_role(actor, *access.MANAGERS)
    conversation = feedback_for(actor, feedback_id)
    words = _answers(conversation)
    earlier = db.session.execute(
        select(FeedbackConversation)
        .join(Person, Person.id == FeedbackConversation.person_id)
        .where(
            Person.organisation_id == actor.organisation_id,
            FeedbackConversation.reviewed_at.is_not(None),
            FeedbackConversation.id != conversation.id,
        )
    ).scalars().all()
    seen: dict[str, int] = {w: 0 for w in words}
    tagged: dict[tuple[str, str], int] = {}
    themes: dict[str, Theme] = {}
    for other in earlier:
        shared = words & _answers(other)
        for word in shared:
            seen[word] += 1
            for theme in other.themes:
                themes[theme.id] = theme
                tagged[(theme.id, word)] = tagged.get((theme.id, word), 0) + 1
    overall: dict[str, int] = {}
    for other in earlier:
        for theme in other.themes:
            overall[theme.id] = overall.get(theme.id, 0) + 1
    already = {t.id for t in conversation.themes}
    suggestions = []
    for theme_id, theme in themes.items():
        if theme_id in already:
            continue
        base = overall.get(theme_id, 0) / len(earlier)
        threshold = max(MIN_CUE_SHARE, min(0.95, base + MIN_CUE_LIFT))
        in_name = words_of(theme.name)
        cues = []
        for word in sorted(words):
            count = tagged.get((theme_id, word), 0)
            if not count:
                continue
            share = count / seen[word]
            if (count >= MIN_CUE_CONVERSATIONS and share >= threshold) or word in in_name:
                cues.append({"word": word, "tagged": count, "seen": seen[word], "share": round(share, 2), "in_theme_name": word in in_name})
        if not cues:
            continue
        cues.sort(key=lambda c: (not c["in_theme_name"], -c["share"], -c["tagged"], c["word"]))
        explained = "; ".join(
            f"“{c['word']}” was in {c['seen']} earlier conversation{'s' if c['seen'] != 1 else ''}, "
            f"{c['tagged']} of them tagged “{theme.name}”"
            for c in cues[:5]
        )
        suggestions.append(
            {
                "theme": {"id": theme.id, "name": theme.name},
                "score": max(c["share"] for c in cues),
                "matches": cues,
                "tagged_overall": overall.get(theme_id, 0),
                "explanation": f"{explained} (of all {len(earlier)} earlier reviewed conversations, "
                f"{overall.get(theme_id, 0)} were tagged “{theme.name}”).",
            }
        )
    suggestions.sort(key=lambda s: (-s["score"], -len(s["matches"]), -s["matches"][0]["tagged"], s["theme"]["name"].lower()))
    return {
        "feedback_id": conversation.id,
        "compared_with": len(earlier),
        "suggestions": suggestions,
        "method": (
            "A theme is suggested when a word in these answers appeared in at least "
            f"{MIN_CUE_CONVERSATIONS} earlier reviewed conversations tagged with it, and the share of earlier "
            f"conversations containing the word that were tagged with it is at least {int(MIN_CUE_SHARE * 100)}% "
            f"and at least {int(MIN_CUE_LIFT * 100)} points above the theme's share of all earlier reviewed "
            "conversations; or when a word of the theme's own name appeared in a conversation tagged with it."
        ),
    }


# ---- themes ----

def list_themes(actor: User) -> list[dict]:
    _require_reader(actor)
    counts = dict(
        db.session.execute(
            select(FeedbackTheme.theme_id, func.count())
            .join(FeedbackConversation, FeedbackConversation.id == FeedbackTheme.feedback_id)
            .where(FeedbackConversation.person_id.in_(access.visible_people(actor)))
            .group_by(FeedbackTheme.theme_id)
        ).all()
    )
    themes = db.session.execute(select(Theme).where(Theme.organisation_id == actor.organisation_id)).scalars()
    rows = [{"id": t.id, "name": t.name, "conversations": counts.get(t.id, 0)} for t in themes]
    return sorted(rows, key=lambda r: r["name"].lower())


def _recent_quarters(count: int, today: date | None = None) -> list[tuple[int, int]]:
    year, q = quarter_of(today or date.today())
    out = []
    for _ in range(count):
        out.append((year, q))
        year, q = (year, q - 1) if q > 1 else (year - 1, 4)
    return out[::-1]


def theme_counts(actor: User, service_id: str, quarters: int = 4, today: date | None = None) -> dict:
    """Per calendar quarter (oldest first, ending with the current one): how many feedback
    conversations the service had, how many were reviewed, and how many were tagged with each theme.
    Shares are over reviewed conversations."""
    _require_reader(actor)
    try:
        service = access.service_for(actor, service_id)
    except NotFound:
        raise NotFound("No such service.", fields={"service_id": ["No such service."]}) from None
    periods = _recent_quarters(quarters, today)
    first_start, _ = quarter_bounds(*periods[0])
    _, last_end = quarter_bounds(*periods[-1])
    conversations = db.session.execute(
        select(FeedbackConversation)
        .join(Person, Person.id == FeedbackConversation.person_id)
        .where(
            Person.service_id == service.id,
            FeedbackConversation.happened_at >= datetime.combine(first_start, datetime.min.time(), tzinfo=timezone.utc),
            FeedbackConversation.happened_at < datetime.combine(last_end + timedelta(days=1), datetime.min.time(), tzinfo=timezone.utc),
        )
    ).scalars().all()
    index = {p: i for i, p in enumerate(periods)}
    rows = [
        {"quarter": quarter_label(*p), "starts_on": quarter_bounds(*p)[0], "ends_on": quarter_bounds(*p)[1], "conversations": 0, "reviewed": 0}
        for p in periods
    ]
    counts: dict[str, list[int]] = {}
    names: dict[str, str] = {}
    for c in conversations:
        i = index.get(quarter_of(c.happened_at.date()))
        if i is None:
            continue
        rows[i]["conversations"] += 1
        if c.reviewed_at is None:
            continue
        rows[i]["reviewed"] += 1
        for theme in c.themes:
            names[theme.id] = theme.name
            counts.setdefault(theme.id, [0] * len(periods))[i] += 1
    themes = [
        {
            "id": theme_id,
            "name": names[theme_id],
            "counts": per_quarter,
            "shares": [round(n / rows[i]["reviewed"], 2) if rows[i]["reviewed"] else None for i, n in enumerate(per_quarter)],
            "total": sum(per_quarter),
        }
        for theme_id, per_quarter in counts.items()
    ]
    themes.sort(key=lambda t: (-t["total"], t["name"].lower()))
    return {"service": {"id": service.id, "name": service.name}, "quarters": rows, "themes": themes}


# ---------------------------------------------------------------------------
# Co-produced changes
# ---------------------------------------------------------------------------


def create_change(actor: User, data: dict) -> Change:
    access.require_role(actor, *access.MANAGERS)
    try:
        service = access.service_for(actor, data["service_id"])
    except NotFound:
        raise NotFound("No such service.", fields={"service_id": ["No such service."]}) from None
    digest = check_retry(Change, data)
    people = []
    for person_id in data.get("person_ids") or []:
        try:
            person = access.person_for(actor, person_id)
        except NotFound:
            raise NotFound("No such person.", fields={"person_ids": [f"No such person: {person_id}."]}) from None
        if person.service_id != service.id:
            raise Invalid("Everyone a change applies to must be in its service.", fields={"person_ids": [f"Not in this service: {person_id}."]})
        people.append(person)
    themes = _themes_by_id(actor, data.get("theme_ids") or [])
    outcomes = []
    for outcome_id in data.get("outcome_ids") or []:
        outcome = db.session.get(Outcome, outcome_id)
        person = db.session.get(Person, outcome.person_id) if outcome else None
        visible = person is not None and person.organisation_id == actor.organisation_id and db.session.execute(
            access.visible_people(actor).where(Person.id == person.id)
        ).first() is not None
        if not visible:
            raise NotFound("No such outcome.", fields={"outcome_ids": [f"No such outcome: {outcome_id}."]})
        if person.service_id != service.id:
            raise Invalid("Outcomes a change answers must be in its service.", fields={"outcome_ids": [f"Not in this service: {outcome_id}."]})
        outcomes.append(outcome)
    change = Change(
        id=data.get("id") or None,
        service_id=service.id,
        description=data["description"],
        starts_on=data["starts_on"],
        co_produced_with=data["co_produced_with"],
        created_by=actor.id,
        origin_hash=digest,
    )
    change.people = people
    change.themes = themes
    change.outcomes = outcomes
    db.session.add(change)
    db.session.flush()
    audit.record(actor, "create", "change", change.id, service_id=service.id)
    return change


def _readable_changes(actor: User):
    if actor.role not in READERS | ANONYMISED:
        raise Forbidden("Your role cannot see co-produced changes.")
    return select(Change).where(Change.service_id.in_(access.visible_services(actor)))


def change_for(actor: User, change_id: str, roles=None) -> Change:
    if roles is not None and actor.role not in roles:
        raise Forbidden("Your role cannot see this.")
    q = _readable_changes(actor).where(Change.id == str(change_id))
    change = db.session.execute(q).scalars().first() if change_id else None
    if change is None:
        raise NotFound("No such change.", fields={"change_id": ["No such change."]})
    return change


def list_changes(actor: User, service_id: str | None = None) -> list[Change]:
    q = _readable_changes(actor)
    if service_id:
        q = q.where(Change.service_id == access.service_for(actor, service_id).id)
    q = q.order_by(Change.starts_on.desc(), Change.created_at.desc(), Change.id)
    return list(db.session.execute(q).scalars())


def change_view(actor: User, change: Change) -> dict:
    """What `actor` may see of a change. Commissioners: no free text, no names, no person ids."""
    base = {
        "id": change.id,
        "service_id": change.service_id,
        "starts_on": change.starts_on,
        "whole_service": not change.people,
        "people_count": len(change.people),
        "theme_count": len(change.themes),
        "outcome_count": len(change.outcomes),
    }
    if actor.role in ANONYMISED:
        return {**base, "anonymised": True}
    if actor.role == "support_worker":
        visible = set(db.session.execute(access.visible_people(actor)).scalars())
    else:
        visible = None
    people = [{"id": p.id, "name": p.name} for p in sorted(change.people, key=lambda p: p.name) if visible is None or p.id in visible]
    return {
        **base,
        "anonymised": False,
        "description": change.description,
        "co_produced_with": change.co_produced_with,
        "person_ids": sorted(p.id for p in change.people),
        "people": people,
        "theme_ids": sorted(t.id for t in change.themes),
        "themes": [{"id": t.id, "name": t.name} for t in sorted(change.themes, key=lambda t: t.name.lower())],
        "outcome_ids": sorted(o.id for o in change.outcomes),
        "created_by": change.created_by,
        "created_at": change.created_at,
    }


# ---- the change effect ----


def _effect_people(change: Change):
    """The people a change applies to: its named people, or everyone in its service."""
    if change.people:
        return [p.id for p in change.people]
    return select(Person.id).where(Person.service_id == change.service_id)


def change_effect(actor: User, change_id: str, weeks: int = 6, quarters: int = 2) -> dict:
    change = change_for(actor, change_id, roles=EFFECT_READERS)
    anonymised = actor.role in ANONYMISED
    win = effects.windows(change.starts_on, weeks)
    start, end = win["before"][0], win["after"][1]
    checks = db.session.execute(
        select(WeeklyCheck).where(
            WeeklyCheck.person_id.in_(_effect_people(change)),
            WeeklyCheck.week_of >= start,
            WeeklyCheck.week_of < end,
        )
    ).scalars().all()
    result = effects.compare(checks, change.starts_on, weeks)

    others = db.session.execute(
        select(Change)
        .where(Change.service_id == change.service_id, Change.id != change.id, Change.starts_on >= start, Change.starts_on < end)
        .order_by(Change.starts_on)
    ).scalars().all()
    overlapping = [
        {"id": o.id, "starts_on": o.starts_on.isoformat(), **({} if anonymised else {"description": o.description})}
        for o in others
    ]

    themes = []
    if change.themes and not anonymised:
        conversations = db.session.execute(
            select(FeedbackConversation).where(FeedbackConversation.person_id.in_(_effect_people(change)))
        ).scalars().all()
        rows = [
            {"day": c.happened_at.date(), "reviewed": c.reviewed_at is not None, "theme_ids": {t.id for t in c.themes}}
            for c in conversations
        ]
        for theme in sorted(change.themes, key=lambda t: t.name.lower()):
            themes.append({"theme": {"id": theme.id, "name": theme.name}, **effects.theme_shift(rows, theme.id, change.starts_on, quarters)})

    summary = effects.summarise(result, change.starts_on, None if anonymised else change.description, overlapping, themes)
    return {
        "change": change_view(actor, change),
        "weeks": weeks,
        "enough_data": result["enough_data"],
        "measures": result["measures"],
        "overlapping_changes": overlapping,
        "summary": summary,
        "window": result["window"],
        "series": result["series"],
        "themes": themes,
        "quarters": quarters,
    }


# ---------------------------------------------------------------------------
# Weekly checks and service events
# ---------------------------------------------------------------------------


def create_check(actor: User, data: dict) -> WeeklyCheck:
    """One check per person per week; `week_of` has already been moved to its Monday."""
    person = access.person_for(actor, data["person_id"], write=True)
    digest = check_retry(WeeklyCheck, data)
    week_of = data["week_of"]
    if week_of > effects.monday_of(date.today() + FUTURE_GRACE):
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
    check = WeeklyCheck(**_fields_for_retry(data), created_by=actor.id, origin_hash=digest)
    try:
        with db.session.begin_nested():  # a concurrent check for the same week loses here, by name
            db.session.add(check)
    except IntegrityError:
        raise taken from None
    audit.record(actor, "create", "weekly_check", check.id, person=person, week_of=week_of.isoformat())
    return check


def checks_of(actor: User, person_id: str) -> list[WeeklyCheck]:
    _require_reader(actor)
    person = access.person_for(actor, person_id)
    audit.record(actor, "view", "weekly_checks", person.id, person=person)
    return list(
        db.session.execute(select(WeeklyCheck).where(WeeklyCheck.person_id == person.id).order_by(WeeklyCheck.week_of.desc())).scalars()
    )


def create_event(actor: User, data: dict) -> ServiceEvent:
    person = access.person_for(actor, data["person_id"], write=True)
    digest = check_retry(ServiceEvent, data)
    _not_future(data["happened_at"], "happened_at")
    event = ServiceEvent(**_fields_for_retry(data), created_by=actor.id, origin_hash=digest)
    db.session.add(event)
    db.session.flush()
    audit.record(actor, "create", "event", event.id, person=person, kind=event.kind)
    return event


def events_of(actor: User, person_id: str, kind: str | None = None) -> list[ServiceEvent]:
    _require_reader(actor)
    person = access.person_for(actor, person_id)
    audit.record(actor, "view", "events", person.id, person=person)
    q = select(ServiceEvent).where(ServiceEvent.person_id == person.id)
    if kind:
        q = q.where(ServiceEvent.kind == kind)
    return list(db.session.execute(q.order_by(ServiceEvent.happened_at.desc())).scalars())
