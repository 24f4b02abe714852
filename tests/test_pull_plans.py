"""A pull page is found by one of two plans (server/domain/sync.py): from the people in scope (a small
scope, such as a worker's caseload) or along the change counter's index (a large one, such as a
manager of most of the organisation; on SQLite with the scope test marked likely). Whichever plan is
taken, a first sync in small pages gives the same changes in the same order, each once."""
from __future__ import annotations

import pytest

from server.domain import sync
from tests import factories
from tests.test_statement_counts import grow
from tests.test_sync import pull_all


@pytest.fixture
def org(app):
    return factories.organisation(app, "Plans")


def full_sync(api, limit: int) -> list[tuple]:
    changes: list[dict] = []
    pull_all(api, limit=limit, log=changes)
    return [(c["entity"], c["id"], c["seq"], c["op"]) for c in changes]


@pytest.mark.parametrize("role", ["registered_manager", "support_worker"])
def test_both_plans_give_the_same_first_sync(app, api_for, org, monkeypatch, role):
    grow(app, org, 6)
    api = api_for(org[role])
    monkeypatch.setattr(sync, "SMALL_SCOPE_FACTOR", 10**9)  # every scope read from its people
    from_people = full_sync(api, 7)
    monkeypatch.setattr(sync, "SMALL_SCOPE_FACTOR", 0)  # every scope read along the seq index
    along_seq = full_sync(api, 7)
    assert from_people == along_seq
    assert len(from_people) > 50
    assert len({(entity, key) for entity, key, _, _ in from_people}) == len(from_people)
    assert [seq for _, _, seq, _ in from_people] == sorted(seq for _, _, seq, _ in from_people)
