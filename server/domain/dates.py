"""Which dates the service accepts, defined once.

* Plausible: every date and time given to the API lies between 1 January 1900 and five years from
  today. Anything outside is a typing slip (0001, 9999), and near the ends of Python's calendar the
  arithmetic the service does (weeks around a change, quarters, conversion to UTC) overflows.
  The schemas' PlausibleDate and PlausibleDateTime (server/schemas/common.py) apply this to input.
* Not in the future: what has already happened (a review, an evidence note, a feedback
  conversation, a service event, a care-plan audit, a learning entry) may be dated at most
  FUTURE_GRACE ahead of now, which allows for a phone clock that is a little fast or in another time
  zone. The domain functions call `not_future`.
* Weeks start on Monday (`monday_of`): weekly checks are stored under their week's Monday, the
  weeks around a change and the weekly reminders are counted in Monday-to-Sunday weeks.
"""
from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

from .errors import Invalid

EARLIEST = date(1900, 1, 1)
PLANNING_YEARS = 5
FUTURE_GRACE = timedelta(days=1)
FUTURE_PROBLEM = "Cannot be more than a day in the future."


def latest(today: date | None = None) -> date:
    """The last plausible date: five years from today (28 February for a 29 February)."""
    today = today or date.today()
    try:
        return today.replace(year=today.year + PLANNING_YEARS)
    except ValueError:
        return today.replace(year=today.year + PLANNING_YEARS, day=28)


def date_problem(day: date, today: date | None = None) -> str | None:
    last = latest(today)
    if EARLIEST <= day <= last:
        return None
    return f"Must be between {EARLIEST.isoformat()} and {last.isoformat()}."


def moment_problem(value: datetime, today: date | None = None) -> str | None:
    """A timezone-aware time is plausible when its day is, both where it was given and in UTC.
    The local day is checked first, so the conversion to UTC never overflows."""
    problem = date_problem(value.date(), today)
    if problem is None and value.tzinfo is not None:
        problem = date_problem(value.astimezone(timezone.utc).date(), today)
    return problem


def monday_of(day: date) -> date:
    """The Monday of `day`'s week. Never overflows: 1 January of year 1 was a Monday."""
    return day - timedelta(days=day.weekday())


def future_problem(value: datetime | date, now: datetime | None = None, today: date | None = None) -> str | None:
    """FUTURE_PROBLEM when `value` lies more than FUTURE_GRACE ahead of `now` (a date: of `today`,
    by default today in UTC)."""
    now = now or datetime.now(timezone.utc)
    if isinstance(value, datetime):
        ahead = value > now + FUTURE_GRACE
    else:
        ahead = value > (today + FUTURE_GRACE if today is not None else (now + FUTURE_GRACE).date())
    return FUTURE_PROBLEM if ahead else None


def not_future(value: datetime | date, field: str, message: str = "This cannot be dated in the future.", today: date | None = None) -> None:
    """Raise Invalid, naming `field`, when something that has happened is dated in the future."""
    problem = future_problem(value, today=today)
    if problem:
        raise Invalid(message, fields={field: [problem]})
