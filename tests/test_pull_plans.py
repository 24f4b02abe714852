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


def test_short_seq_windows_give_the_same_first_sync_and_always_move_on(app, api_for, org, monkeypatch):
    """Along the seq index a page looks only at a window of seqs after the cursor. A window that
    holds less than a page gives a short (even empty) page whose cursor is the window's end, with
    `more` set: the phone still gets every change once, in order, and every page moves the cursor on."""
    grow(app, org, 6)
    api = api_for(org["registered_manager"])
    monkeypatch.setattr(sync, "SMALL_SCOPE_FACTOR", 10**9)
    from_people = full_sync(api, 7)
    monkeypatch.setattr(sync, "SMALL_SCOPE_FACTOR", 0)
    monkeypatch.setattr(sync, "WINDOW_PAGES", 0.01)  # a window of a seq or two: pages are short
    cursor, changes, short_pages = 0, [], 0
    while True:
        body = api.get(f"/api/v1/sync/pull?cursor={cursor}&limit=7").get_json()
        changes.extend(body["changes"])
        if not body["more"]:
            break
        assert body["cursor"] > cursor  # never stuck on a window with nothing of the user's in it
        short_pages += len(body["changes"]) < 7
        cursor = body["cursor"]
    assert short_pages > 10
    assert [(c["entity"], c["id"], c["seq"], c["op"]) for c in changes] == from_people
