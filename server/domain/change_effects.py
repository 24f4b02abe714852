"""The before/after evidence for a change: loads the weekly checks, overlapping changes and tagged
feedback around a change's start and hands them to the statistics in server/domain/effects.py.

Who may see it is access.POLICY's kind "change_effect": it is refused to support workers (a change
that applies to named people outside their caseload would show those people's weekly figures), and
commissioners see it anonymised (no descriptions, no theme names unless the caller labels them).
"""
from __future__ import annotations

from sqlalchemy import select

from ..extensions import db
from ..models import Change, FeedbackConversation, FeedbackTheme, Person, User, WeeklyCheck
from . import access, effects, person_voice
from .anonymise import anonymised_change_text
from .changes import _viewed_in_changes, change_for, change_view


def _effect_people(change: Change):
    """The people a change applies to: its named people, or everyone in its service."""
    if change.people:
        return [p.id for p in change.people]
    return select(Person.id).where(Person.service_id == change.service_id)


def change_effect(actor: User, change_id: str, weeks: int = 6, quarters: int = 2) -> dict:
    change = change_for(actor, change_id, kind="change_effect")
    anonymised = not access.named(actor, "change_effect")
    view = change_view(actor, change)
    if not anonymised:
        _viewed_in_changes(actor, [change], set(view["person_ids"]), "change_effect")
    # Theme labels for an anonymised reader are checked for names, as in the quarterly report.
    labels = anonymised_change_text(change)[1] if anonymised else None
    return {"change": view, **effect_of(change, weeks, quarters, anonymised, theme_label=labels)}


def effect_of(change: Change, weeks: int = 6, quarters: int = 2, anonymised: bool = True, theme_label=None) -> dict:
    """The before/after evidence for a change the caller may already read. `anonymised` leaves out
    the descriptions (free text) of this and overlapping changes. Theme shifts are given to named
    views, and to anonymised ones only with `theme_label` (theme -> the label to show; the quarterly
    report checks labels for people's names first)."""
    win = effects.windows(change.starts_on, weeks)
    start, end = win["before"][0], win["after"][1]
    # Columns, not objects: a whole service's weeks of checks load in one light query.
    checks = db.session.execute(
        select(WeeklyCheck.week_of, WeeklyCheck.incidents, WeeklyCheck.engagement, WeeklyCheck.mood).where(
            WeeklyCheck.person_id.in_(_effect_people(change)),
            WeeklyCheck.week_of >= start,
            WeeklyCheck.week_of < end,
        )
    ).all()
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
    if change.themes and (theme_label is not None or not anonymised):
        label = theme_label or (lambda t: t.name)
        asked = select(FeedbackConversation.id).where(FeedbackConversation.person_id.in_(_effect_people(change)))
        tagged: dict[str, set] = {}
        for feedback_id, theme_id in db.session.execute(
            select(FeedbackTheme.feedback_id, FeedbackTheme.theme_id).where(FeedbackTheme.feedback_id.in_(asked))
        ):
            tagged.setdefault(feedback_id, set()).add(theme_id)
        rows = [
            {"day": happened_at.date(), "reviewed": reviewed_at is not None, "theme_ids": tagged.get(feedback_id, set())}
            for feedback_id, happened_at, reviewed_at in db.session.execute(
                select(FeedbackConversation.id, FeedbackConversation.happened_at, FeedbackConversation.reviewed_at)
                .where(FeedbackConversation.person_id.in_(_effect_people(change)))
            )
        ]
        for theme in sorted(change.themes, key=lambda t: t.name.lower()):
            themes.append({"theme": {"id": theme.id, "name": label(theme)}, **effects.theme_shift(rows, theme.id, change.starts_on, quarters)})

    summary = effects.summarise(result, change.starts_on, None if anonymised else change.description, overlapping, themes)
    return {
        "weeks": weeks,
        "enough_data": result["enough_data"],
        "measures": result["measures"],
        "overlapping_changes": overlapping,
        "summary": summary,
        "headline": effects.headline(result, themes),
        "window": result["window"],
        "series": result["series"],
        "themes": themes,
        "quarters": quarters,
        "voice": person_voice.before_after(_effect_people(change), change.starts_on, quarters),
    }
