"""Themes: the labels a manager tags feedback conversations with, and how often each comes up.

Reviewing a conversation tags it (reusing existing themes by name, whatever the case) and marks it
reviewed; theme counts are per calendar quarter for a service. Feedback, themes and theme counts
are staff only (access.POLICY kinds "theme" and "feedback"): themes are staff-written labels about
what people said. Suggesting themes for a conversation is server/domain/theme_suggestions.py.
"""
from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

from sqlalchemy import func, select

from ..extensions import db
from ..models import FeedbackConversation, FeedbackTheme, Person, Theme, User
from . import access, audit
from .errors import NotFound
from .feedback import feedback_for
from .outcomes import quarter_bounds, quarter_label, quarter_of


def _now() -> datetime:
    return datetime.now(timezone.utc)


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
    access.require_write(actor, "theme")
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


def list_themes(actor: User) -> list[dict]:
    access.require_read(actor, "theme")
    counts = dict(
        db.session.execute(
            select(FeedbackTheme.theme_id, func.count())
            .join(FeedbackConversation, FeedbackConversation.id == FeedbackTheme.feedback_id)
            .where(access.readable_rows(actor, "feedback", FeedbackConversation))
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
    try:
        service = access.require_service(actor, "theme", service_id)
    except NotFound:
        raise NotFound("No such service.", fields={"service_id": ["No such service."]}) from None
    return service_theme_counts(service, quarters, today)


def service_theme_counts(service, quarters: int = 4, today: date | None = None) -> dict:
    """theme_counts for a service the caller may already read (the quarterly report uses it)."""
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
