"""Lists page with `limit` and an opaque `cursor` (the reply's `next_cursor`): GET
/api/v1/reviews/overdue on request (without `limit` it answers the whole list as it always has),
GET /api/v1/notifications (50 at a time by default, as before), and GET /api/v1/people, /users,
/changes and /feedback on request: with `limit` or `cursor` a page `{"items", "next_cursor"}`,
without either the bare list as before paging (phones running an older app read it)."""
from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

import pytest

from server.extensions import db
from server.models import FeedbackConversation, Notification, Person
from tests import factories
from tests.test_statement_counts import grow, grow_lists


@pytest.fixture
def org(app):
    return factories.organisation(app, "Paging")


def test_pages_hold_the_same_items_as_the_whole_list_in_the_same_order(app, api_for, org):
    grow(app, org, 7)
    senior = api_for(org["senior_leader"])
    whole = senior.get("/api/v1/reviews/overdue").get_json()
    assert whole["next_cursor"] is None and len(whole["overdue"]) == 7

    seen, cursor, pages = [], None, 0
    while True:
        url = "/api/v1/reviews/overdue?limit=3" + (f"&cursor={cursor}" if cursor else "")
        body = senior.get(url).get_json()
        pages += 1
        assert len(body["overdue"]) <= 3
        seen += body["overdue"]
        cursor = body["next_cursor"]
        if cursor is None:
            break
    assert pages == 3
    assert [i["outcome_id"] for i in seen] == [i["outcome_id"] for i in whole["overdue"]]


def test_a_cursor_the_server_did_not_give_is_refused_naming_the_field(app, api_for, org):
    senior = api_for(org["senior_leader"])
    r = senior.get("/api/v1/reviews/overdue?limit=3&cursor=not-a-cursor")
    assert r.status_code == 422
    assert "cursor" in str(r.get_json())
    r = senior.get("/api/v1/reviews/overdue?limit=0")
    assert r.status_code == 422 and "limit" in str(r.get_json())


def test_the_inbox_pages_through_every_notification_once_newest_first(app, api_for, org):
    now = datetime.now(timezone.utc)
    with app.app_context():
        for i in range(7):
            # Two pairs share a moment, so the cursor must tell them apart by key.
            at = now - timedelta(minutes=i // 2 * 5)
            db.session.add(Notification(user_id=org["support_worker_id"], kind="review_due", title=f"Review due {i}", body="Due soon.",
                                        url="/notifications", dedupe_key=f"review_due:x{i}:2026-01-01:{org['support_worker_id']}",
                                        push_status="no_subscription", created_at=at))
        db.session.commit()
    worker = api_for(org["support_worker"])
    r = worker.get("/api/v1/notifications")
    assert r.status_code == 200, r.get_json()
    whole = r.get_json()
    assert len(whole["notifications"]) == 7 and whole["next_cursor"] is None
    seen, cursor = [], None
    while True:
        r = worker.get("/api/v1/notifications?limit=3" + (f"&cursor={cursor}" if cursor else ""))
        assert r.status_code == 200, r.get_json()
        body = r.get_json()
        seen += [n["id"] for n in body["notifications"]]
        cursor = body["next_cursor"]
        if cursor is None:
            break
    assert seen == [n["id"] for n in whole["notifications"]]
    assert worker.get("/api/v1/notifications?cursor=nonsense").status_code == 422


def walk(api, url: str, limit: int) -> tuple[list[dict], int]:
    """Every item of a paged list, following next_cursor to the end: (the items, how many pages)."""
    seen, cursor, pages = [], None, 0
    while True:
        r = api.get(url + ("&" if "?" in url else "?") + f"limit={limit}" + (f"&cursor={cursor}" if cursor else ""))
        assert r.status_code == 200, r.get_json()
        body = r.get_json()
        assert set(body) == {"items", "next_cursor"}
        assert len(body["items"]) <= limit
        pages += 1
        seen += body["items"]
        cursor = body["next_cursor"]
        if cursor is None:
            return seen, pages
        assert pages < 100, "the pages never ended"


def ids(items) -> list[str]:
    return [i["id"] for i in items]


# What each list is compared with: the bare list as before paging, in the same order (people page by
# name, then id: the whole list comes soonest review first, worked out from every person's reviews).
LISTS = [
    ("support_worker", "/api/v1/people", "by name"),
    ("registered_manager", "/api/v1/people", "by name"),
    ("senior_leader", "/api/v1/people?include_ended=true", "by name"),
    ("person", "/api/v1/people", "by name"),
    ("admin", "/api/v1/users", "same"),
    ("support_worker", "/api/v1/changes", "same"),
    ("registered_manager", "/api/v1/changes", "same"),
    ("commissioner", "/api/v1/changes", "same"),
    ("support_worker", "/api/v1/feedback", "same"),
    ("registered_manager", "/api/v1/feedback?status=unreviewed", "same"),
    ("senior_leader", "/api/v1/feedback", "same"),
]


@pytest.mark.parametrize("role, url, order", LISTS)
def test_walking_the_pages_returns_every_row_once_and_only_what_the_role_may_see(app, api_for, org, role, url, order):
    grow_lists(app, org, 11)
    other = factories.organisation(app, "Elsewhere")
    grow_lists(app, other, 3)  # another organisation's rows, never listed
    api = api_for(org["person_email" if role == "person" else role])
    r = api.get(url)
    assert r.status_code == 200, r.get_json()
    whole = r.get_json()
    assert isinstance(whole, list)  # without limit or cursor: the bare list, as before paging
    paged, pages = walk(api, url, 4)
    assert len(ids(paged)) == len(set(ids(paged))), "a row came twice"
    assert set(ids(paged)) == set(ids(whole)), "the pages hold what the whole list holds"
    assert pages == max(1, -(-len(whole) // 4))
    if order == "same":
        assert ids(paged) == ids(whole)
    else:
        assert [(p["name"], p["id"]) for p in paged] == sorted((p["name"], p["id"]) for p in paged)
    assert walk(api, url, 200)[0] == paged  # one page or many, the same rows in the same order


def test_each_role_pages_only_through_its_own_scope(app, api_for, org):
    grow_lists(app, org, 5)  # all on the worker's caseload, in the first service
    worker, manager = api_for(org["support_worker"]), api_for(org["registered_manager"])
    mine = {p["id"] for p in walk(worker, "/api/v1/people", 2)[0]}
    assert org["person"] in mine and org["other_person"] not in mine and len(mine) == 6
    assert {p["id"] for p in walk(manager, "/api/v1/people", 2)[0]} == mine | {org["other_person"]}
    assert {p["id"] for p in walk(api_for(org["person_email"]), "/api/v1/people", 2)[0]} == {org["person"]}
    with app.app_context():
        outside = db.session.get(Person, org["other_person"])
        db.session.add(FeedbackConversation(person_id=outside.id, works_well="Off the caseload", happened_at=datetime.now(timezone.utc)))
        db.session.commit()
    feedback = walk(worker, "/api/v1/feedback", 2)[0]
    assert feedback and all(f["person_id"] in mine for f in feedback)
    assert any(f["person_id"] == org["other_person"] for f in walk(manager, "/api/v1/feedback", 2)[0])
    for f in walk(api_for(org["commissioner"]), "/api/v1/changes", 2)[0]:
        assert f["anonymised"] and "people" not in f and "person_ids" not in f
    for role in ("support_worker", "registered_manager", "commissioner", "person"):
        assert api_for(org["person_email" if role == "person" else role]).get("/api/v1/users?limit=2").status_code == 403
    assert api_for(org["person_email"]).get("/api/v1/feedback?limit=2").status_code == 403


def test_filters_hold_on_every_page(app, api_for, org):
    grow_lists(app, org, 9)
    manager = api_for(org["registered_manager"])
    with app.app_context():
        person = db.session.get(Person, org["person"])
        person.ended_on = date.today()
        db.session.commit()
    current = ids(walk(manager, "/api/v1/people", 3)[0])
    assert org["person"] not in current
    assert set(ids(walk(manager, "/api/v1/people?include_ended=true", 3)[0])) == set(current) | {org["person"]}
    unreviewed = walk(manager, "/api/v1/feedback?status=unreviewed", 3)[0]
    assert unreviewed and all(f["status"] == "unreviewed" for f in unreviewed)
    assert walk(manager, "/api/v1/feedback?status=reviewed", 3)[0] == []
    one = org["other_person"]
    assert walk(manager, f"/api/v1/feedback?person={one}", 3)[0] == []
    service = org["service"]
    assert ids(walk(manager, f"/api/v1/changes?service={service}", 3)[0]) == ids(manager.get(f"/api/v1/changes?service={service}").get_json())
    assert ids(walk(manager, f"/api/v1/feedback?service={service}", 3)[0]) == ids(manager.get(f"/api/v1/feedback?service={service}").get_json())


@pytest.mark.parametrize("role, url", [("support_worker", "/api/v1/people"), ("admin", "/api/v1/users"),
                                       ("registered_manager", "/api/v1/changes"), ("registered_manager", "/api/v1/feedback")])
def test_a_bad_cursor_or_limit_is_refused_naming_the_field(app, api_for, org, role, url):
    api = api_for(org[role])
    for query, field in (("cursor=not-a-cursor", "cursor"), ("cursor=WyJhIl0", "cursor"), ("limit=0", "limit"),
                         ("limit=201", "limit"), ("limit=ten", "limit"), ("limit=2&cursor=%25%25", "cursor")):
        r = api.get(f"{url}?{query}")
        assert r.status_code == 422, (query, r.status_code)
        assert field in r.get_json()["error"]["fields"], (query, r.get_json())
    assert api.get(f"{url}?limit=200").status_code == 200
