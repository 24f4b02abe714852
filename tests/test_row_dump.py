"""server/schemas/row_dump.py: a compiled dumper gives exactly what marshmallow gives, for every
output schema it compiles, and falls back to marshmallow for the ones it cannot."""
from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from types import SimpleNamespace

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from marshmallow import fields, post_dump

from server.schemas import outcome as outcome_schemas
from server.schemas.common import StrictSchema
from server.schemas.outcome import ActionOut, EvidenceOut, OutcomeOut, ReviewOut
from server.schemas.row_dump import dumper

texts = st.one_of(st.none(), st.text(max_size=40))
moments = st.one_of(
    st.none(),
    st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2100, 1, 1), timezones=st.just(timezone.utc)),
    st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2100, 1, 1)),
)


def note(draw):
    return SimpleNamespace(id=draw(st.uuids()).hex, text=draw(texts), happened_at=draw(moments), review_id=draw(texts), person_id=draw(texts))


@st.composite
def reviews(draw):
    return SimpleNamespace(
        id=str(draw(st.uuids())), outcome_id=draw(texts), person_id=draw(texts),
        score=draw(st.one_of(st.none(), st.integers(1, 5))), rated_by=draw(texts),
        happened_at=draw(moments), what_changed=draw(texts), support_adjustment=draw(texts),
        achieved=draw(st.one_of(st.none(), st.booleans())),
        evidence=[note(draw) for _ in range(draw(st.integers(0, 3)))],
    )


@settings(max_examples=200, deadline=None)
@given(reviews())
def test_a_review_dumps_as_its_schema_does(review):
    assert dumper(ReviewOut)(review) == ReviewOut().dump(review)


@settings(max_examples=100, deadline=None)
@given(st.data())
def test_an_evidence_note_dumps_as_its_schema_does(data):
    one = note(data.draw)
    assert dumper(EvidenceOut())(one) == EvidenceOut().dump(one)


def test_the_compiled_dumper_keeps_the_schemas_key_order():
    review = SimpleNamespace(id="r", outcome_id="o", person_id="p", score=3, rated_by="worker",
                             happened_at=datetime(2026, 1, 2, 3, 4, 5, tzinfo=timezone.utc), what_changed=None,
                             support_adjustment=None, achieved=False, evidence=[])
    assert list(dumper(ReviewOut)(review)) == list(ReviewOut().dump(review))


def test_schemas_with_hooks_or_custom_formats_are_dumped_by_marshmallow():
    class Shouting(StrictSchema):
        name = fields.String()

        @post_dump
        def _loud(self, data, **_):
            return {"name": data["name"].upper()}

    assert dumper(Shouting)(SimpleNamespace(name="ann")) == {"name": "ANN"}

    class Formatted(StrictSchema):
        on = fields.Date(format="%d/%m/%Y")

    assert dumper(Formatted)(SimpleNamespace(on=date(2026, 11, 27))) == {"on": "27/11/2026"}


@pytest.mark.parametrize("name", sorted(n for n in dir(outcome_schemas) if n.endswith("Out")))
def test_every_output_schema_either_compiles_or_falls_back(name):
    schema = getattr(outcome_schemas, name)
    assert callable(dumper(schema))


def test_a_late_moment_and_a_naive_one_dump_alike():
    moment = datetime(2026, 11, 27, 23, 59, 59, 999999, tzinfo=timezone.utc) - timedelta(hours=1)
    one = SimpleNamespace(id="e", text="t", happened_at=moment, review_id=None, person_id="p")
    assert dumper(EvidenceOut)(one)["happened_at"] == EvidenceOut().dump(one)["happened_at"] == moment.isoformat()


def test_a_first_sync_sends_every_row_as_its_schema_dumps_it(demo, api_for):
    """The pull reads reviews, notes, checks, feedback and events as Core rows: every change a
    manager's first sync carries is what the record's ORM object, dumped the way it always was
    (its Out schema, or its columns), gives."""
    from sqlalchemy import inspect as sa_inspect

    from server.domain import outcomes, sync
    from server.extensions import db
    from server.models import EvidenceNote
    from tests.test_sync import pull_all

    api = api_for("manager@demo.example")
    log = []
    pull_all(api, log=log)
    puts = [c for c in log if c["op"] == "put"]
    kinds = {c["entity"] for c in puts}
    assert {"review", "evidence", "check", "feedback", "event", "outcome", "person"} <= kinds
    with demo.app_context():
        for change in puts:
            entity = sync.ENTITIES[change["entity"]]
            if entity.read is None and change["entity"] not in {"outcome", "action"}:
                continue
            obj = db.session.get(entity.model, change["id"])
            if change["entity"] in {"outcome", "action"}:
                schema = OutcomeOut() if change["entity"] == "outcome" else ActionOut()
                assert change["data"] == schema.dump(outcomes.shown_outcome(obj) if change["entity"] == "outcome" else outcomes.shown_action(obj))
                continue
            if entity.model is EvidenceNote:
                expected = {**EvidenceOut().dump(obj), "outcome_id": obj.outcome_id}
            elif change["entity"] == "review":
                expected = ReviewOut().dump(obj)
            else:
                expected = {a.key: (v.isoformat() if isinstance(v, (date, datetime)) else v)
                            for a in sa_inspect(entity.model).column_attrs if a.key not in sync.NOT_SENT
                            for v in [getattr(obj, a.key)]}
            assert change["data"] == expected, change["entity"]
        assert sum(1 for c in puts if c["entity"] == "review" and c["data"]["evidence"]) > 10
