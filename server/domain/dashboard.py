"""Governance measures: the monthly service dashboard and the escalation counts per quarter.

An extension of the measures module (server/domain/measures.py), defined once here. Every figure is
a SQL aggregate (COUNT, MAX, ROW_NUMBER over reviews), so a dashboard costs a fixed number of
statements whatever the size of the service. Each figure comes with the previous month's beside it,
and each with its n (what it is counted out of).

Definitions (also in the reply's `definitions`):

* Reviews due: for each active outcome, its start date and each of its reviews plus its review
  interval (monthly = 30 days) is one review due; those falling in the month. n: active outcomes.
* Reviews done: reviews recorded in the month. n: active outcomes.
* Reviews overdue: active outcomes whose review was past due at the end of the month (today, for the
  current month). n: active outcomes.
* Improved / same / worse: per outcome reviewed in the month, its last score in the month against its
  last score before the month. n: outcomes reviewed in the month that had an earlier score.
* Open escalations: raised by the end of the month and not answered by then, by rule. n: people.
* Care-plan audits due: people whose last audit by the end of the month is older than the audit
  interval, or who were never audited. n: people.
* Supervisions held: supervision records for the month of support workers with someone from the
  service on their caseload. n: those workers.
* Changes started, learning entries: in the month. n: all to the end of the month.
* Feedback themes rising: conversations tagged with each theme in the three months to the end of the
  month against the three months before, as a share of reviewed conversations.
* Changes and their effect so far: changes started in the six months to the end of the month, with
  the before/after comparison (server/domain/effects.py) over the full weeks since they started, up
  to six.
"""
from __future__ import annotations

from datetime import date, datetime, time, timedelta, timezone

from sqlalchemy import Integer, and_, case, cast, extract, func, literal, or_, select, union_all

from ..extensions import db
from ..models import (
    CarePlanAudit,
    CaseloadAssignment,
    Change,
    Escalation,
    FeedbackConversation,
    FeedbackTheme,
    LearningEntry,
    Outcome,
    Person,
    Review,
    Service,
    Supervision,
    Theme,
    User,
)
from . import access, audit
from .care_plan_audits import add_months, interval_months
from .errors import Forbidden, Invalid
from .learning import parse_month
from .rule_data import DEFAULT_REVIEW_INTERVAL_DAYS, REVIEW_INTERVAL_DAYS

RULES = ("deterioration", "stagnation", "overdue")
CHANGE_MONTHS = 6
THEME_MONTHS = 3
EFFECT_WEEKS = 6
FIGURES = (
    ("reviews_due", "Reviews due", "active outcomes"),
    ("reviews_done", "Reviews done", "active outcomes"),
    ("reviews_overdue", "Reviews overdue", "active outcomes"),
    ("improved", "Outcomes improved", "outcomes reviewed with an earlier score"),
    ("same", "Outcomes the same", "outcomes reviewed with an earlier score"),
    ("worse", "Outcomes worse", "outcomes reviewed with an earlier score"),
    ("open_escalations", "Open escalations", "people supported"),
    ("audits_due", "Care-plan audits due", "people supported"),
    ("supervisions_held", "Supervisions held", "support workers with a caseload here"),
    ("changes_started", "Changes started", "changes to date"),
    ("learning_entries", "Learning entries", "entries to date"),
)
DEFINITIONS = {
    "reviews_due": "For each active outcome, its start date and each review plus its review interval (monthly = 30 days) is a review due; those falling in the month.",
    "reviews_done": "Reviews recorded in the month.",
    "reviews_overdue": "Active outcomes whose review was past due at the end of the month (today, for the current month).",
    "movement": "Per outcome reviewed in the month: its last score in the month against its last score before the month.",
    "open_escalations": "Escalations raised by the end of the month and not answered by then.",
    "audits_due": "People whose last care-plan audit by the end of the month is older than the audit interval, or who were never audited.",
    "supervisions_held": "Supervision records for the month of support workers with someone from the service on their caseload.",
    "themes": "Feedback conversations tagged with each theme in the three months to the end of the month, against the three months before, as a share of reviewed conversations.",
    "changes": "Changes started in the six months to the end of the month, with their before/after comparison over the full weeks since they started (up to six).",
}


# ---- months and days ----

def month_bounds(month: date) -> tuple[date, date]:
    return month, add_months(month, 1)


def _utc(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=timezone.utc)


EPOCH = date(1970, 1, 1)


def day_number(day: date) -> int:
    return (day - EPOCH).days


def epoch_day(column):
    """Whole days since 1970-01-01 (UTC) of a date or timestamp column, in SQL."""
    if db.session.get_bind().dialect.name == "postgresql":
        return cast(func.floor(extract("epoch", column) / 86400), Integer)
    return cast(func.julianday(column) - 2440587.5, Integer)


def the_day(number: int) -> date:
    """The date `number` days after 1970-01-01 (the inverse of day_number)."""
    return EPOCH + timedelta(days=number)


def review_interval(review_every=Outcome.review_every):
    """An outcome's review interval in days, in SQL (of `review_every`, a column holding it): the
    intervals of server/data/rules.json, as outcome_facts.due_after uses them."""
    return case(*[(review_every == every, days) for every, days in REVIEW_INTERVAL_DAYS.items()],
                else_=DEFAULT_REVIEW_INTERVAL_DAYS)


def audit_threshold(cutoff: date, months: int) -> date:
    """The latest audit date that is due again by `cutoff`: add_months(last, months) <= cutoff."""
    day = add_months(cutoff, -months)
    while add_months(day + timedelta(days=1), months) <= cutoff:
        day += timedelta(days=1)
    return day


# ---- the figures for one month ----

def figures(service: Service, month: date, today: date) -> dict:
    """{figure: {"value", "n"}} for one month of one service, and the open escalations by rule."""
    m0, m1 = month_bounds(month)
    cutoff = min(m1 - timedelta(days=1), today)
    t0, t1 = _utc(m0), _utc(m1)
    in_service = Person.service_id == service.id
    scalar = lambda q: db.session.execute(q).scalar_one() or 0  # noqa: E731

    people = scalar(select(func.count()).select_from(Person).where(in_service, or_(Person.joined_on.is_(None), Person.joined_on <= cutoff)))
    active = and_(in_service, Outcome.status == "active")
    outcomes_n = scalar(select(func.count()).select_from(Outcome).join(Person, Person.id == Outcome.person_id)
                        .where(active, Outcome.starts_on <= cutoff))

    interval = review_interval()
    dues = union_all(
        select((epoch_day(Outcome.starts_on) + interval).label("due")).select_from(Outcome)
        .join(Person, Person.id == Outcome.person_id).where(active),
        select((epoch_day(Review.happened_at) + interval).label("due")).select_from(Review)
        .join(Outcome, Outcome.id == Review.outcome_id).join(Person, Person.id == Outcome.person_id).where(active),
    ).subquery()
    due = scalar(select(func.count()).select_from(dues).where(dues.c.due >= day_number(m0), dues.c.due < day_number(m1)))

    done = scalar(select(func.count()).select_from(Review).join(Person, Person.id == Review.person_id)
                  .where(in_service, Review.happened_at >= t0, Review.happened_at < t1))

    last_review = (
        select(func.max(Review.happened_at)).where(Review.outcome_id == Outcome.id, Review.happened_at < _utc(cutoff + timedelta(days=1)))
        .correlate(Outcome).scalar_subquery()
    )
    overdue = scalar(
        select(func.count()).select_from(Outcome).join(Person, Person.id == Outcome.person_id)
        .where(active, Outcome.starts_on <= cutoff,
               func.coalesce(epoch_day(last_review), epoch_day(Outcome.starts_on)) + interval < day_number(cutoff))
    )

    movement = _movement(service, t0, t1)

    open_by_rule = dict(db.session.execute(
        select(Escalation.rule, func.count()).where(
            Escalation.service_id == service.id, Escalation.raised_at < t1,
            or_(Escalation.answered_at.is_(None), Escalation.answered_at >= t1),
        ).group_by(Escalation.rule)
    ).all())

    months = interval_months()
    last_audit = (
        select(CarePlanAudit.person_id, func.max(CarePlanAudit.audited_on).label("last"))
        .join(Person, Person.id == CarePlanAudit.person_id)
        .where(in_service, CarePlanAudit.audited_on <= cutoff).group_by(CarePlanAudit.person_id).subquery()
    )
    audits_due = scalar(
        select(func.count()).select_from(Person).outerjoin(last_audit, last_audit.c.person_id == Person.id)
        .where(in_service, or_(Person.joined_on.is_(None), Person.joined_on <= cutoff),
               or_(last_audit.c.last.is_(None), last_audit.c.last <= audit_threshold(cutoff, months)))
    )

    staff = (
        select(CaseloadAssignment.user_id).join(Person, Person.id == CaseloadAssignment.person_id)
        .join(User, User.id == CaseloadAssignment.user_id)
        .where(in_service, User.role.in_(access.FRONT_LINE), User.active.is_(True)).distinct()
    )
    staff_n = scalar(select(func.count()).select_from(staff.subquery()))
    supervisions = scalar(select(func.count()).select_from(Supervision).where(Supervision.user_id.in_(staff), Supervision.month == m0))

    changes = db.session.execute(
        select(func.sum(case((Change.starts_on >= m0, 1), else_=0)), func.count())
        .where(Change.service_id == service.id, Change.starts_on <= cutoff)
    ).one()
    entries = db.session.execute(
        select(func.sum(case((LearningEntry.recorded_on >= m0, 1), else_=0)), func.count())
        .where(LearningEntry.service_id == service.id, LearningEntry.recorded_on <= cutoff)
    ).one()

    with_earlier = movement["improved"] + movement["same"] + movement["worse"]
    return {
        "month": f"{m0:%Y-%m}",
        "as_of": cutoff,
        "figures": {
            "reviews_due": {"value": due, "n": outcomes_n},
            "reviews_done": {"value": done, "n": outcomes_n},
            "reviews_overdue": {"value": overdue, "n": outcomes_n},
            "improved": {"value": movement["improved"], "n": with_earlier},
            "same": {"value": movement["same"], "n": with_earlier},
            "worse": {"value": movement["worse"], "n": with_earlier},
            "open_escalations": {"value": sum(open_by_rule.values()), "n": people},
            "audits_due": {"value": audits_due, "n": people},
            "supervisions_held": {"value": supervisions, "n": staff_n},
            "changes_started": {"value": int(changes[0] or 0), "n": changes[1]},
            "learning_entries": {"value": int(entries[0] or 0), "n": entries[1]},
        },
        "first_reviews": movement["first"],
        "open_escalations_by_rule": {rule: open_by_rule.get(rule, 0) for rule in RULES},
    }


def _movement(service: Service, t0: datetime, t1: datetime) -> dict:
    def last_scores(*where):
        rn = func.row_number().over(partition_by=Review.outcome_id, order_by=(Review.happened_at.desc(), Review.id.desc()))
        ranked = (
            select(Review.outcome_id, Review.score, rn.label("rn")).join(Person, Person.id == Review.person_id)
            .where(Person.service_id == service.id, *where).subquery()
        )
        return select(ranked.c.outcome_id, ranked.c.score).where(ranked.c.rn == 1).subquery()

    now = last_scores(Review.happened_at >= t0, Review.happened_at < t1)
    before = last_scores(Review.happened_at < t0)
    direction = case(
        (before.c.score.is_(None), literal("first")),
        (now.c.score > before.c.score, literal("improved")),
        (now.c.score < before.c.score, literal("worse")),
        else_=literal("same"),
    ).label("direction")
    counts = dict(db.session.execute(
        select(direction, func.count()).select_from(now.outerjoin(before, before.c.outcome_id == now.c.outcome_id)).group_by(direction)
    ).all())
    return {k: counts.get(k, 0) for k in ("improved", "same", "worse", "first")}


def themes_rising(service: Service, month: date) -> dict:
    """Theme counts in the three months to the end of `month` against the three months before."""
    m1 = add_months(month, 1)
    now0 = add_months(m1, -THEME_MONTHS)
    before0 = add_months(now0, -THEME_MONTHS)
    in_now = FeedbackConversation.happened_at >= _utc(now0)
    base = (
        FeedbackConversation.person_id == Person.id, Person.service_id == service.id,
        FeedbackConversation.reviewed_at.is_not(None),
        FeedbackConversation.happened_at >= _utc(before0), FeedbackConversation.happened_at < _utc(m1),
    )
    reviewed = db.session.execute(
        select(func.sum(case((in_now, 1), else_=0)), func.count()).select_from(FeedbackConversation).join(Person, base[0]).where(*base[1:])
    ).one()
    reviewed_now = int(reviewed[0] or 0)
    reviewed_before = reviewed[1] - reviewed_now
    rows = db.session.execute(
        select(Theme.id, Theme.name, func.sum(case((in_now, 1), else_=0)), func.count())
        .select_from(FeedbackTheme)
        .join(FeedbackConversation, FeedbackConversation.id == FeedbackTheme.feedback_id)
        .join(Person, base[0]).join(Theme, Theme.id == FeedbackTheme.theme_id)
        .where(*base[1:]).group_by(Theme.id, Theme.name)
    ).all()
    themes = []
    for theme_id, name, now_count, total in rows:
        now_count = int(now_count or 0)
        before_count = total - now_count
        share_now = now_count / reviewed_now if reviewed_now else None
        share_before = before_count / reviewed_before if reviewed_before else None
        rising = now_count > 0 and (share_before is None or (share_now or 0) > share_before)
        themes.append({"id": theme_id, "name": name, "current": {"tagged": now_count, "reviewed": reviewed_now, "share": _r(share_now)},
                       "previous": {"tagged": before_count, "reviewed": reviewed_before, "share": _r(share_before)}, "rising": rising})
    themes.sort(key=lambda t: (not t["rising"], -(t["current"]["share"] or 0), t["name"].lower()))
    return {
        "current": {"from": now0, "to": m1 - timedelta(days=1), "reviewed": reviewed_now},
        "previous": {"from": before0, "to": now0 - timedelta(days=1), "reviewed": reviewed_before},
        "themes": themes,
    }


def _r(x):
    return None if x is None else round(x, 2)


def recent_changes(actor, service: Service, month: date, today: date) -> list[dict]:
    """Changes started in the six months to the end of `month`, newest first, each with its effect
    so far (the same comparison as the change's own page)."""
    from . import change_effects

    m1 = add_months(month, 1)
    cutoff = min(m1 - timedelta(days=1), today)
    rows = db.session.execute(
        select(Change).where(Change.service_id == service.id, Change.starts_on >= add_months(m1, -CHANGE_MONTHS), Change.starts_on <= cutoff)
        .order_by(Change.starts_on.desc(), Change.id)
    ).scalars().all()
    out = []
    for change in rows:
        weeks = max(1, min(EFFECT_WEEKS, (cutoff - change.starts_on).days // 7))
        effect = change_effects.change_effect(actor, change.id, weeks)
        out.append({"id": change.id, "description": change.description, "starts_on": change.starts_on, "weeks": weeks,
                    "enough_data": effect["enough_data"], "summary": effect["summary"]})
    return out


# ---- the dashboard ----

def monthly(actor: User, service_id: str, month_text: str | None, today: date | None = None) -> dict:
    """The monthly service dashboard (API: GET /services/{id}/dashboard?month=YYYY-MM)."""
    from . import escalations, learning

    today = today or date.today()
    service = access.governed_service_for(actor, service_id, field="service")
    month = parse_month(month_text) if month_text else today.replace(day=1)
    if month > today:
        raise Invalid("That month has not started yet.", fields={"month": ["Cannot be a future month."]})
    previous = add_months(month, -1)
    current, before = figures(service, month, today), figures(service, previous, today)
    m0, m1 = month_bounds(month)
    open_rows = db.session.execute(
        select(Escalation).where(Escalation.service_id == service.id, Escalation.raised_at < _utc(m1),
                                 or_(Escalation.answered_at.is_(None), Escalation.answered_at >= _utc(m1)))
        .order_by(Escalation.raised_at.desc(), Escalation.id.desc()).limit(50)
    ).scalars().all()
    entries = db.session.execute(
        select(LearningEntry).where(LearningEntry.service_id == service.id, LearningEntry.recorded_on >= m0, LearningEntry.recorded_on < m1)
        .order_by(LearningEntry.recorded_on.desc(), LearningEntry.id.desc())
    ).scalars().all()
    audit.record(actor, "view", "service_dashboard", service.id, service_id=service.id, month=f"{month:%Y-%m}")
    return {
        "service": {"id": service.id, "name": service.name, "kind": service.kind},
        "month": f"{month:%Y-%m}",
        "month_label": f"{month:%B %Y}",
        "previous_month": f"{previous:%Y-%m}",
        "previous_month_label": f"{previous:%B %Y}",
        "as_of": current["as_of"],
        "figures": [
            {"key": key, "label": label, "n_of": n_of, "current": current["figures"][key], "previous": before["figures"][key]}
            for key, label, n_of in FIGURES
        ],
        "first_reviews": {"current": current["first_reviews"], "previous": before["first_reviews"]},
        "open_escalations_by_rule": {"current": current["open_escalations_by_rule"], "previous": before["open_escalations_by_rule"]},
        "open_escalations": escalations.describe(list(open_rows)),
        "themes": themes_rising(service, month),
        "changes": recent_changes(actor, service, month, today),
        "learning": learning.describe(actor, list(entries)),
        "definitions": DEFINITIONS,
    }


# ---- escalations per quarter (no names: commissioners read these) ----

def escalation_counts(actor: User, service_id: str, quarter_text: str | None, today: date | None = None) -> dict:
    """Per rule: raised in the quarter, answered in it, and still open at its end. Counts only."""
    from .measures import parse_quarter
    from .outcomes import quarter_bounds, quarter_label, quarter_of

    if not access.can_read(actor, "escalation_counts"):
        raise Forbidden("Your role cannot read service figures.")
    service = access.service_for(actor, service_id)
    year, q = parse_quarter(quarter_text) if quarter_text else quarter_of(today or date.today())
    start, end = quarter_bounds(year, q)
    t0, t1 = _utc(start), _utc(end + timedelta(days=1))
    raised = case((and_(Escalation.raised_at >= t0, Escalation.raised_at < t1), 1), else_=0)
    answered = case((and_(Escalation.answered_at >= t0, Escalation.answered_at < t1), 1), else_=0)
    still_open = case((or_(Escalation.answered_at.is_(None), Escalation.answered_at >= t1), 1), else_=0)
    rows = {rule: (int(a or 0), int(b or 0), int(c or 0)) for rule, a, b, c in db.session.execute(
        select(Escalation.rule, func.sum(raised), func.sum(answered), func.sum(still_open))
        .where(Escalation.service_id == service.id, Escalation.raised_at < t1).group_by(Escalation.rule)
    ).all()}
    audit.record(actor, "view", "escalation_counts", service.id, service_id=service.id, quarter=quarter_label(year, q))
    return {
        "service": {"id": service.id, "name": service.name},
        "quarter": quarter_label(year, q),
        "from": start,
        "to": end,
        "rules": [{"rule": rule, "raised": rows.get(rule, (0, 0, 0))[0], "answered": rows.get(rule, (0, 0, 0))[1],
                   "open_at_end": rows.get(rule, (0, 0, 0))[2]} for rule in RULES],
        "total_raised": sum(v[0] for v in rows.values()),
    }
