"""The field types every input schema is built from (server/schemas/common.py), and the date rules
they apply (server/domain/dates.py)."""
from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

import pytest
from flask import jsonify
from marshmallow import ValidationError

from server.domain import dates, effects
from server.extensions import db
from server.models import ServiceEvent
from server.models.base import UnstorableValue
from server.schemas.common import BaseInput, Choice, Email, Int, PlausibleDate, PlausibleDateTime, Text
from tests import factories
from tests.conftest import Api


class Note(BaseInput):
    title = Text(20, min_length=1)
    body = Text(50, multiline=True, load_default="")
    secret = Text(20, trim=False, multiline=True, load_default=None)
    email = Email(load_default=None)
    kind = Choice(("a", "b"), load_default="a")
    count = Int(0, 9, load_default=0)
    loose = Int(1, 9, strict=False, load_default=1)
    on = PlausibleDate(load_default=None)
    at = PlausibleDateTime(load_default=None)


def load(**data):
    return Note().load({"title": "T", **data})


def errors(**data) -> dict:
    with pytest.raises(ValidationError) as caught:
        load(**data)
    return caught.value.messages


# ---- text ----

def test_text_is_trimmed_and_keeps_line_breaks_and_tabs_in_notes():
    got = load(title="  Buses  ", body="\n First line\n\tsecond\r\n")
    assert got["title"] == "Buses" and got["body"] == "First line\n\tsecond"


@pytest.mark.parametrize("char", ["\x00", "\x01", "\x08", "\x0b", "\x0c", "\x1b", "\x1f", "\x7f", "\x85", "\x9f"])
def test_control_characters_are_refused_anywhere_even_where_trimming_would_remove_them(char):
    for value in (f"a{char}b", f"{char}ab", f"ab{char}"):
        assert errors(body=value) == {"body": ["Must not contain control characters."]}


def test_an_unpaired_surrogate_is_refused():
    assert errors(body="a\ud800b") == {"body": ["Must be valid Unicode text."]}


def test_a_single_line_field_refuses_line_breaks_and_tabs_inside_but_trims_them_at_the_ends():
    assert load(title="\tBuses\n")["title"] == "Buses"
    for value in ("two\nlines", "a\tb", "a\r\nb"):
        assert errors(title=value) == {"title": ["Must be one line, without line breaks or tabs."]}


def test_lengths_are_counted_after_trimming_with_plain_messages():
    assert load(title=" " + "x" * 20 + " ")["title"] == "x" * 20
    assert errors(title="x" * 21) == {"title": ["Must be at most 20 characters."]}
    assert errors(title="x" * 100_000) == {"title": ["Must be at most 20 characters."]}
    assert errors(title="   ") == {"title": ["Must not be blank."]}


def test_a_password_is_not_trimmed():
    assert load(secret="  spaced out  ")["secret"] == "  spaced out  "


@pytest.mark.parametrize("value", [1, 1.5, True, [], ["x"], {}, {"a": 1}])
def test_text_must_be_a_string(value):
    assert errors(title=value) == {"title": ["Not a valid string."]}


def test_null_only_where_allowed_and_unknown_fields_by_name():
    assert "title" in errors(title=None)
    assert load(secret=None)["secret"] is None
    assert errors(colour="red") == {"colour": ["Unknown field."]}


def test_email_and_choice():
    assert load(email=" Sam@Example.org ")["email"] == "Sam@Example.org"
    assert "email" in errors(email="not an email")
    assert errors(kind="c") == {"kind": ["Must be one of: a, b."]}
    assert "kind" in errors(kind="a ")


def test_a_text_field_cannot_be_declared_without_a_sane_limit():
    with pytest.raises(ValueError):
        Text(10_001)
    with pytest.raises(ValueError):
        Text(5, min_length=6)


# ---- numbers ----

@pytest.mark.parametrize("value", [-1, 10, 10**30, 1.5, "3", True, None, [], "\x00"])
def test_a_strict_whole_number_within_bounds(value):
    assert "count" in errors(count=value)


def test_a_loose_whole_number_takes_numeric_strings_but_no_fractions():
    assert load(loose="3")["loose"] == 3 and load(loose=4.0)["loose"] == 4
    for value in (1.5, "1.5", float("inf"), float("nan"), False, 0, 10):
        assert "loose" in errors(loose=value), value


# ---- dates ----

def test_plausible_dates_run_from_1900_to_five_years_ahead():
    last = dates.latest()
    assert load(on="1900-01-01")["on"] == date(1900, 1, 1)
    assert load(on=last.isoformat())["on"] == last
    for value in ("1899-12-31", (last + timedelta(days=1)).isoformat(), "0001-01-01", "9999-12-31"):
        assert errors(on=value) == {"on": [f"Must be between 1900-01-01 and {last.isoformat()}."]}
    for value in ("10000-01-01", "", "2025-02-30", "yesterday", 20250101, [], True):
        assert "on" in errors(on=value), value


def test_five_years_from_29_february_is_28_february():
    assert dates.latest(date(2028, 2, 29)) == date(2033, 2, 28)
    assert dates.latest(date(2026, 11, 26)) == date(2031, 11, 26)


def test_a_time_keeps_its_zone_and_a_time_without_one_is_utc():
    assert load(at="2026-01-01T09:30:00-05:00")["at"] == datetime(2026, 1, 1, 9, 30, tzinfo=timezone(timedelta(hours=-5)))
    assert load(at="2026-01-01T09:30:00")["at"] == datetime(2026, 1, 1, 9, 30, tzinfo=timezone.utc)


@pytest.mark.parametrize("value", [
    "0001-01-01T00:30:00+01:00",  # valid ISO, but in UTC it is before year 1
    "9999-12-31T23:30:00-01:00",  # and this one after year 9999
    "1899-12-31T23:30:00Z",
    "1900-01-01T00:30:00+01:00",  # 1 January locally, 31 December 1899 in UTC
    "10000-01-01T00:00:00Z",
    "",
])
def test_times_near_the_ends_of_the_calendar_are_refused_without_overflowing(value):
    assert "at" in errors(at=value)


def test_the_openapi_document_says_how_dates_and_times_are_read(client):
    schemas = client.get("/api/v1/openapi.json").get_json()["components"]["schemas"]
    happened_at = schemas["EventCreate"]["properties"]["happened_at"]["description"]
    assert "without a zone is taken as UTC" in happened_at and "1900-01-01" in happened_at
    assert schemas["OutcomeCreate"]["properties"]["domain"]["maxLength"] == 120
    assert schemas["OutcomeCreate"]["additionalProperties"] is False


def test_not_in_the_future_allows_a_day_for_clocks():
    now = datetime(2026, 5, 1, 12, tzinfo=timezone.utc)
    assert dates.future_problem(now + timedelta(hours=23), now) is None
    assert dates.future_problem(now + timedelta(days=1, minutes=1), now) == dates.FUTURE_PROBLEM
    assert dates.future_problem(date(2026, 5, 2), now) is None and dates.future_problem(date(2026, 5, 3), now)


# ---- far dates that reach the database or the statistics anyway ----

def test_change_effect_windows_stop_at_the_ends_of_the_calendar():
    for start in (date.min, date.max, date(9999, 12, 27), date(1, 1, 3)):
        win = effects.windows(start, 52)
        assert all(date.min <= d <= date.max for pair in win.values() for d in pair)
        result = effects.compare([], start, 52)
        assert result["enough_data"] is False and result["reason"] == "weeks"
        periods = effects.quarter_periods(start, 8)
        assert len(periods["before"]) == len(periods["after"]) == 8


def test_a_time_a_timestamp_column_cannot_hold_is_refused_with_a_422_not_a_500(app):
    """Validation keeps such values out; this is the last line of defence if one gets through."""
    org = factories.organisation(app)

    @app.route("/api/v1/test-unstorable", methods=["POST"])
    def unstorable():
        db.session.add(ServiceEvent(person_id=org["person"], kind="employment",
                                    happened_at=datetime(1, 1, 1, 0, 30, tzinfo=timezone(timedelta(hours=1)))))
        db.session.flush()
        return jsonify({})

    @app.route("/api/v1/test-overflow", methods=["POST"])
    def overflow():
        return jsonify({"day": (date.max + timedelta(days=1)).isoformat()})

    client = Api(app)  # (signed out, with a CSRF token)
    for path in ("/api/v1/test-unstorable", "/api/v1/test-overflow"):
        r = client.post(path)
        assert r.status_code == 422 and r.get_json()["error"]["code"] == "validation", r.get_json()
    with app.app_context():
        assert db.session.query(ServiceEvent).count() == 0
        event = ServiceEvent(person_id=org["person"], kind="employment", happened_at=datetime(1, 1, 1, tzinfo=timezone(timedelta(hours=1))))
        db.session.add(event)
        with pytest.raises(Exception) as caught:
            db.session.flush()
        assert isinstance(getattr(caught.value, "orig", None), UnstorableValue)
        db.session.rollback()
