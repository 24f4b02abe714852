"""Listening that leads to change, through the API: the domain article's Examples Two and Three on
the demo organisation, then bad input, role checks and organisation isolation."""
from __future__ import annotations

import json
import re
import uuid
from datetime import date, datetime, timedelta, timezone

import pytest
from sqlalchemy import func, select

from server.extensions import db
from server.models import (
    AuditEvent,
    Change,
    FeedbackConversation,
    FeedbackTheme,
    Person,
    Service,
    ServiceEvent,
    Theme,
    WeeklyCheck,
)
from tests import factories

TODAY = date.today()
NOW = datetime.now(timezone.utc).replace(microsecond=0)
MONDAY = TODAY - timedelta(days=TODAY.weekday())

MANAGER = "manager@demo.example"
WORKER = "worker@demo.example"  # Sam, Priya, Jordan (supported living) and Margaret Ellis (home care)
HOMECARE = "homecare@demo.example"
RESIDENTIAL = "residential@demo.example"
SENIOR = "senior@demo.example"
COMMISSIONER = "commissioner@demo.example"


# ---- helpers ----

def q(app, stmt):
    with app.app_context():
        return db.session.execute(stmt).scalars().all()


def one(app, stmt):
    with app.app_context():
        return db.session.execute(stmt).scalar_one()


def count(app, model, *where):
    with app.app_context():
        return db.session.execute(select(func.count()).select_from(model).where(*where)).scalar_one()


DEMO_SERVICES = {"supported_living": "Oak House Supported Living", "domiciliary": "Riverside Home Care", "residential": "Elm Court"}


def service_id(app, kind):
    return one(app, select(Service.id).where(Service.name == DEMO_SERVICES[kind]))


def person_id(app, name):
    return one(app, select(Person.id).where(Person.name == name))


def change_id(app, description):
    return one(app, select(Change.id).where(Change.description == description))


def theme_id(app, name):
    return one(app, select(Theme.id).where(Theme.name == name))


def latest_feedback(app, name):
    with app.app_context():
        return db.session.execute(
            select(FeedbackConversation.id)
            .join(Person, Person.id == FeedbackConversation.person_id)
            .where(Person.name == name)
            .order_by(FeedbackConversation.happened_at.desc())
        ).scalars().first()


def error_fields(r):
    body = r.get_json()
    assert set(body) == {"error"}, body
    return body["error"]["fields"]


def other_org(app):
    """A second organisation (factories.organisation) with a residential service."""
    ids = factories.organisation(app, "Elsewhere", services=("residential",))
    with app.app_context():
        ids["person_id_"] = ids["person"]
    return ids


def check_body(pid, week_of, **kw):
    return {"person_id": pid, "week_of": week_of.isoformat(), "incidents": 1, "engagement": 3, "mood": 4, "note": "", **kw}


def assert_no_names(app, payload, change_text=False):
    """Nothing named: no person's name and no free text (co-produced with, notes; descriptions unless
    `change_text`: a commissioner reads what a change was, never who it was for)."""
    text = json.dumps(payload)
    with app.app_context():
        names = db.session.execute(select(Person.name)).scalars().all()
        descriptions = db.session.execute(select(Change.description)).scalars().all()
        partners = db.session.execute(select(Change.co_produced_with)).scalars().all()
        words = {w.lower() for n in names for w in re.findall(r"[^\W\d_]+", n) if len(w) >= 3}
    for value in names + partners + (
        [d for d in descriptions if words & {w.lower() for w in re.findall(r"[^\W\d_]+", d)}] if change_text else descriptions
    ):
        assert value not in text, value
    allowed = {"description", "name"} if change_text else set()
    for key in ("description", "co_produced_with", "person_ids", "theme_ids", "outcome_ids", "name", "note"):
        assert key in allowed or f'"{key}"' not in text, key


# ---- Example Two: feedback conversations, themes, and "rushed" after flexible arrival windows ----

def test_worker_records_a_feedback_conversation_and_a_retry_is_not_a_duplicate(demo, api_for):
    worker = api_for(WORKER)
    margaret = person_id(demo, "Margaret Ellis")
    body = {
        "id": str(uuid.uuid4()),
        "person_id": margaret,
        "happened_at": (NOW - timedelta(hours=2)).isoformat(),
        "works_well": "  Carers know how I like my tea. ",
        "feels_difficult": "The morning call still feels rushed.",
        "would_change": "Ten more minutes in the morning.",
        "participants": "Margaret, her son",
    }
    before = count(demo, FeedbackConversation)
    r = worker.post("/api/v1/feedback", json=body)
    assert r.status_code == 201, r.get_json()
    made = r.get_json()
    assert made["id"] == body["id"] and made["works_well"] == "Carers know how I like my tea."
    assert made["status"] == "unreviewed" and made["themes"] == [] and made["person_name"] == "Margaret Ellis"
    again = worker.post("/api/v1/feedback", json=body)
    assert again.status_code == 200 and again.get_json()["id"] == body["id"]
    changed = worker.post("/api/v1/feedback", json={**body, "would_change": "Something else"})
    assert changed.status_code == 422 and "id" in error_fields(changed)
    assert count(demo, FeedbackConversation) == before + 1
    assert count(demo, AuditEvent, AuditEvent.entity == "feedback", AuditEvent.entity_id == body["id"], AuditEvent.action == "create") == 1


def test_feedback_needs_an_answer_a_past_date_and_a_person_in_scope(demo, api_for):
    worker = api_for(WORKER)
    margaret = person_id(demo, "Margaret Ellis")
    before = count(demo, FeedbackConversation)
    blank = worker.post("/api/v1/feedback", json={"person_id": margaret, "happened_at": NOW.isoformat(), "works_well": "  "})
    assert blank.status_code == 422 and "feels_difficult" in error_fields(blank)
    future = worker.post("/api/v1/feedback", json={"person_id": margaret, "happened_at": (NOW + timedelta(days=5)).isoformat(), "works_well": "x"})
    assert future.status_code == 422 and "happened_at" in error_fields(future)
    not_mine = worker.post("/api/v1/feedback", json={"person_id": person_id(demo, "Dennis Obi"), "happened_at": NOW.isoformat(), "works_well": "x"})
    assert not_mine.status_code == 404 and "person_id" in error_fields(not_mine)
    unknown = worker.post("/api/v1/feedback", json={"person_id": margaret, "happened_at": NOW.isoformat(), "works_well": "x", "score": 3})
    assert unknown.status_code == 422 and "score" in error_fields(unknown)
    assert count(demo, FeedbackConversation) == before


def test_manager_queue_and_worker_caseload_views(demo, api_for):
    manager = api_for(MANAGER)
    homecare = service_id(demo, "domiciliary")
    queue = manager.get(f"/api/v1/feedback?service={homecare}&status=unreviewed")
    assert queue.status_code == 200
    rows = queue.get_json()
    assert len(rows) == 5 and all(r["status"] == "unreviewed" for r in rows)
    assert {r["person_name"] for r in rows} == {"Margaret Ellis", "Dennis Obi", "Joan Fairweather", "Harold Price", "Rita Lowe"}
    assert len(manager.get(f"/api/v1/feedback?service={homecare}").get_json()) == 20
    mine = api_for(WORKER).get("/api/v1/feedback").get_json()
    # Margaret's four (home care) and Sam's two ("You said, we did"): the worker's caseload only.
    assert len(mine) == 6 and {r["person_name"] for r in mine} == {"Margaret Ellis", "Sam Taylor"}
    assert [r["happened_at"] for r in mine] == sorted((r["happened_at"] for r in mine), reverse=True)
    bad = manager.get("/api/v1/feedback?status=maybe")
    assert bad.status_code == 422 and "status" in error_fields(bad)


def test_manager_tags_themes_reusing_existing_names_and_marks_reviewed(demo, api_for):
    manager = api_for(MANAGER)
    fid = latest_feedback(demo, "Margaret Ellis")
    rushed = theme_id(demo, "Feeling rushed")
    themes_before = count(demo, Theme)
    r = manager.post(f"/api/v1/feedback/{fid}/review", json={"theme_ids": [rushed], "new_themes": ["  feeling RUSHED ", "Keysafe access", "keysafe ACCESS"]})
    assert r.status_code == 200, r.get_json()
    body = r.get_json()
    assert body["status"] == "reviewed" and body["reviewed_at"]
    assert sorted(t["name"] for t in body["themes"]) == ["Feeling rushed", "Keysafe access"]
    assert count(demo, Theme) == themes_before + 1
    # Re-tagging replaces the tags.
    again = manager.post(f"/api/v1/feedback/{fid}/review", json={"theme_ids": [rushed]})
    assert [t["name"] for t in again.get_json()["themes"]] == ["Feeling rushed"]
    assert count(demo, FeedbackTheme, FeedbackTheme.feedback_id == fid) == 1
    themes = manager.get("/api/v1/themes").get_json()
    assert {"Feeling rushed", "Morning call timing", "Continuity of carers", "Keysafe access"} <= {t["name"] for t in themes}
    assert next(t for t in themes if t["name"] == "Feeling rushed")["conversations"] == 10
    assert len(manager.get("/api/v1/feedback?status=unreviewed").get_json()) == 5  # 4 in home care, Sam's latest


def test_suggested_themes_explain_the_matching_words(demo, api_for):
    manager = api_for(MANAGER)
    # Margaret's latest conversation: "Still a bit rushed on Mondays."
    fid = latest_feedback(demo, "Margaret Ellis")
    with demo.app_context():
        assert "rushed" in db.session.get(FeedbackConversation, fid).feels_difficult
    r = manager.get(f"/api/v1/feedback/{fid}/suggested-themes")
    assert r.status_code == 200
    body = r.get_json()
    top = body["suggestions"][0]
    assert top["theme"]["name"] == "Feeling rushed"
    rushed = next(m for m in top["matches"] if m["word"] == "rushed")
    assert rushed["tagged"] == rushed["seen"] == 9 and rushed["in_theme_name"] is True
    assert "“rushed” was in 9 earlier conversations, 9 of them tagged “Feeling rushed”" in top["explanation"]
    assert body["compared_with"] == 16 and body["method"]  # 15 in home care, and Sam's at Oak House
    # Joan's latest ("Sometimes the evening call is late."): "call" is in most earlier conversations,
    # rushed or not, so it is no cue for "Feeling rushed".
    calm = latest_feedback(demo, "Joan Fairweather")
    with demo.app_context():
        assert "rushed" not in db.session.get(FeedbackConversation, calm).feels_difficult
    names = [s["theme"]["name"] for s in manager.get(f"/api/v1/feedback/{calm}/suggested-themes").get_json()["suggestions"]]
    assert "Feeling rushed" not in names


def test_rushed_comments_fall_after_flexible_arrival_windows(demo, api_for):
    manager = api_for(MANAGER)
    homecare = service_id(demo, "domiciliary")
    cid = change_id(demo, "Flexible arrival windows for morning calls")
    with demo.app_context():
        starts_on = db.session.get(Change, cid).starts_on
    rushed_id = theme_id(demo, "Feeling rushed")

    # The change's own before/after view of the themes it answers (13-week periods from its start).
    effect = manager.get(f"/api/v1/changes/{cid}/effect").get_json()
    theme = next(t for t in effect["themes"] if t["theme"]["name"] == "Feeling rushed")
    assert len(theme["before"]["quarters"]) == len(theme["after"]["quarters"]) == 2
    assert theme["before"]["share"] == 0.8 and theme["before"]["tagged"] == 8 and theme["before"]["reviewed"] == 10
    assert theme["after"]["share"] == 0.2 and theme["after"]["tagged"] == 1 and theme["after"]["reviewed"] == 5
    # The latest round is not reviewed yet: it is counted as held, not as "not rushed".
    assert theme["after"]["conversations"] == 10 and theme["after"]["quarters"][1]["reviewed"] == 0
    assert theme["after"]["quarters"][1]["share"] is None
    assert effect["enough_data"] is False  # home care keeps no weekly checks
    assert "No weekly checks were recorded" in effect["summary"]
    assert "tagged “Feeling rushed” went from 8 of 10 reviewed (80%)" in effect["summary"]
    assert "to 1 of 5 (20%)" in effect["summary"]
    assert effect["summary"].endswith("This shows association, not cause.")

    # The manager reviews the latest round (the follow-up feedback), tagging "Feeling rushed" where it is said.
    for row in manager.get(f"/api/v1/feedback?service={homecare}&status=unreviewed").get_json():
        tags = [rushed_id] if "rushed" in row["feels_difficult"].lower() else []
        assert manager.post(f"/api/v1/feedback/{row['id']}/review", json={"theme_ids": tags}).status_code == 200
    after = manager.get(f"/api/v1/changes/{cid}/effect").get_json()
    theme = next(t for t in after["themes"] if t["theme"]["name"] == "Feeling rushed")
    assert theme["after"]["share"] == 0.2 and theme["after"]["tagged"] == 2 and theme["after"]["reviewed"] == 10

    # Theme counts per calendar quarter for the service.
    counts = manager.get(f"/api/v1/services/{homecare}/themes?quarters=6")
    assert counts.status_code == 200
    body = counts.get_json()
    assert len(body["quarters"]) == 6 and sum(q["conversations"] for q in body["quarters"]) == 20
    assert all(q["reviewed"] == q["conversations"] for q in body["quarters"])
    rushed = next(t for t in body["themes"] if t["name"] == "Feeling rushed")
    assert rushed["total"] == 10 and body["themes"][0]["name"] == "Feeling rushed"
    assert len(rushed["counts"]) == len(rushed["shares"]) == 6
    before_tagged = before_reviewed = after_tagged = after_reviewed = 0
    for quarter, n in zip(body["quarters"], rushed["counts"]):
        if date.fromisoformat(quarter["ends_on"]) < starts_on:
            before_tagged, before_reviewed = before_tagged + n, before_reviewed + quarter["reviewed"]
        elif date.fromisoformat(quarter["starts_on"]) >= starts_on:
            after_tagged, after_reviewed = after_tagged + n, after_reviewed + quarter["reviewed"]
    # Quarters wholly before the change hold the first round (4 of 5 "rushed"), perhaps the second;
    # quarters wholly after hold the latest round (1 of 5), perhaps the third. Mixed quarters are left out.
    assert before_reviewed >= 5 and after_reviewed >= 5
    assert before_tagged / before_reviewed >= 0.75 and after_tagged / after_reviewed <= 0.2
    bad = manager.get(f"/api/v1/services/{homecare}/themes?quarters=0")
    assert bad.status_code == 422 and "quarters" in error_fields(bad)


# ---- Example Three: weekly checks; incidents fall after a quieter breakfast time ----

def test_incidents_fall_after_quieter_breakfast_time(demo, api_for):
    manager = api_for(MANAGER)
    cid = change_id(demo, "Quieter breakfast time (staggered, radio off)")
    r = manager.get(f"/api/v1/changes/{cid}/effect")
    assert r.status_code == 200
    body = r.get_json()
    # The reply shape of API.md.
    assert {"change", "weeks", "enough_data", "measures", "overlapping_changes", "summary"} <= set(body)
    assert body["weeks"] == 6 and body["enough_data"] is True
    inc = body["measures"]["incidents"]
    assert set(inc) == {"before", "after", "rate_ratio", "ci95", "method"}
    assert set(inc["before"]) == {"mean", "n", "total"} and inc["before"]["n"] == inc["after"]["n"] == 6
    assert inc["before"]["mean"] == round(inc["before"]["total"] / 6, 2)
    assert inc["rate_ratio"] < 1 and inc["ci95"][1] < 1 and inc["ci95"][0] < inc["rate_ratio"]
    assert inc["rate_ratio"] == round((inc["after"]["total"] / 6) / (inc["before"]["total"] / 6), 2)
    assert "log rate ratio" in inc["method"]
    for key in ("engagement", "mood"):
        m = body["measures"][key]
        assert set(m) == {"before", "after", "difference", "ci95", "method"} and "Welch" in m["method"]
        assert set(m["before"]) == {"mean", "n"}
    assert body["measures"]["mood"]["difference"] > 0 and body["measures"]["mood"]["ci95"][0] > 0
    assert body["overlapping_changes"] == []
    assert body["change"]["description"] == "Quieter breakfast time (staggered, radio off)"
    assert body["summary"].startswith("Incidents fell from")
    assert "Quieter breakfast time" in body["summary"] and body["summary"].endswith("This shows association, not cause.")
    assert len([row for row in body["series"] if row["side"] == "before"]) == 6
    # The figures are the weekly checks' own: recompute the totals from the database.
    with demo.app_context():
        change = db.session.get(Change, cid)
        before_total = db.session.execute(
            select(func.sum(WeeklyCheck.incidents)).where(
                WeeklyCheck.week_of >= change.starts_on - timedelta(weeks=6), WeeklyCheck.week_of < change.starts_on
            )
        ).scalar_one()
    assert inc["before"]["total"] == before_total
    # Senior leaders read it too.
    assert api_for(SENIOR).get(f"/api/v1/changes/{cid}/effect").status_code == 200


def test_a_wide_window_flags_the_overlapping_evening_walk(demo, api_for):
    manager = api_for(MANAGER)
    cid = change_id(demo, "Quieter breakfast time (staggered, radio off)")
    body = manager.get(f"/api/v1/changes/{cid}/effect?weeks=20").get_json()
    assert [o["description"] for o in body["overlapping_changes"]] == ["Evening walk added after tea"]
    assert body["overlapping_changes"][0]["id"] == change_id(demo, "Evening walk added after tea")
    assert "“Evening walk added after tea”" in body["summary"] and "cannot be told apart" in body["summary"]
    assert body["summary"].endswith("This shows association, not cause.")
    narrow = manager.get(f"/api/v1/changes/{cid}/effect?weeks=4").get_json()
    assert narrow["overlapping_changes"] == []


def test_too_little_data_says_so(demo, api_for):
    manager = api_for(MANAGER)
    residential = service_id(demo, "residential")
    r = manager.post("/api/v1/changes", json={
        "service_id": residential,
        "description": "Sensory corner in the lounge",
        "starts_on": (MONDAY - timedelta(weeks=2)).isoformat(),
        "co_produced_with": "Residents' meeting",
    })
    assert r.status_code == 201, r.get_json()
    body = manager.get(f"/api/v1/changes/{r.get_json()['id']}/effect").get_json()
    assert body["enough_data"] is False
    assert body["measures"]["incidents"]["after"]["n"] == 2 and body["measures"]["incidents"]["before"]["n"] == 6
    assert body["measures"]["incidents"]["rate_ratio"] is None and body["measures"]["incidents"]["ci95"] is None
    assert body["measures"]["mood"]["difference"] is None
    assert "not enough data" in body["summary"] and "2 weeks after" in body["summary"]
    # The breakfast change started 18 weeks ago, outside this window.
    assert body["overlapping_changes"] == []


@pytest.mark.parametrize("weeks", ["0", "60", "-1", "six", "2.5"])
def test_effect_weeks_out_of_range_names_weeks(demo, api_for, weeks):
    manager = api_for(MANAGER)
    cid = change_id(demo, "Quieter breakfast time (staggered, radio off)")
    r = manager.get(f"/api/v1/changes/{cid}/effect?weeks={weeks}")
    assert r.status_code == 422 and "weeks" in error_fields(r)


def test_effect_of_an_unknown_change_is_404(demo, api_for):
    r = api_for(MANAGER).get(f"/api/v1/changes/{uuid.uuid4()}/effect")
    assert r.status_code == 404 and "change_id" in error_fields(r)
    assert api_for(MANAGER).get("/api/v1/changes/not-a-uuid").status_code == 404


# ---- changes ----

def test_manager_logs_a_change_for_named_people_with_themes_and_outcomes(demo, api_for):
    manager = api_for(MANAGER)
    homecare = service_id(demo, "domiciliary")
    margaret, dennis = person_id(demo, "Margaret Ellis"), person_id(demo, "Dennis Obi")
    with demo.app_context():
        from server.models import Outcome

        outcome = db.session.execute(select(Outcome.id).where(Outcome.person_id == margaret)).scalars().first()
    body = {
        "id": str(uuid.uuid4()),
        "service_id": homecare,
        "description": "Same carer for weekend mornings",
        "starts_on": TODAY.isoformat(),
        "co_produced_with": "Margaret, Dennis and the rota team",
        "person_ids": [dennis, margaret, margaret],
        "theme_ids": [theme_id(demo, "Continuity of carers")],
        "outcome_ids": [outcome],
    }
    r = manager.post("/api/v1/changes", json=body)
    assert r.status_code == 201, r.get_json()
    made = r.get_json()
    assert made["person_ids"] == sorted({margaret, dennis}) and made["whole_service"] is False and made["people_count"] == 2
    assert [p["name"] for p in made["people"]] == ["Dennis Obi", "Margaret Ellis"]
    assert [t["name"] for t in made["themes"]] == ["Continuity of carers"] and made["outcome_ids"] == [outcome]
    assert manager.post("/api/v1/changes", json=body).status_code == 200  # a retry
    assert count(demo, Change, Change.id == body["id"]) == 1
    listed = manager.get(f"/api/v1/changes?service={homecare}").get_json()
    assert listed[0]["id"] == body["id"]  # newest first
    assert [c["starts_on"] for c in listed] == sorted((c["starts_on"] for c in listed), reverse=True)
    assert manager.get(f"/api/v1/changes/{body['id']}").get_json()["description"] == "Same carer for weekend mornings"
    # The worker sees the change but only the names on their caseload (Margaret).
    seen = api_for(WORKER).get(f"/api/v1/changes/{body['id']}").get_json()
    assert [p["name"] for p in seen["people"]] == ["Margaret Ellis"]
    assert count(demo, AuditEvent, AuditEvent.entity == "change", AuditEvent.entity_id == body["id"]) == 1


def test_change_bad_input_names_the_field_and_saves_nothing(demo, api_for):
    manager = api_for(MANAGER)
    residential, homecare = service_id(demo, "residential"), service_id(demo, "domiciliary")
    good = {"service_id": residential, "description": "Radio off at lunch", "starts_on": TODAY.isoformat(), "co_produced_with": "Residents"}
    before = count(demo, Change)
    cases = [
        ({k: v for k, v in good.items() if k != "starts_on"}, 422, "starts_on"),
        ({**good, "starts_on": "next week"}, 422, "starts_on"),
        ({**good, "description": "   "}, 422, "description"),
        ({**good, "co_produced_with": ""}, 422, "co_produced_with"),
        ({**good, "service_id": str(uuid.uuid4())}, 404, "service_id"),
        ({**good, "person_ids": [person_id(demo, "Margaret Ellis")]}, 422, "person_ids"),  # not in the residential service
        ({**good, "person_ids": [str(uuid.uuid4())]}, 404, "person_ids"),
        ({**good, "theme_ids": [str(uuid.uuid4())]}, 404, "theme_ids"),
        ({**good, "outcome_ids": ["nope"]}, 422, "outcome_ids"),
        ({**good, "service_id": homecare, "outcome_ids": [str(uuid.uuid4())]}, 404, "outcome_ids"),
    ]
    for body, status, field in cases:
        r = manager.post("/api/v1/changes", json=body)
        assert r.status_code == status, (body, r.get_json())
        assert field in error_fields(r), (field, r.get_json())
    assert count(demo, Change) == before


def test_workers_cannot_tag_themes_or_log_changes(demo, api_for):
    worker = api_for(WORKER)
    fid = latest_feedback(demo, "Margaret Ellis")
    before = snapshot_improvement(demo)
    r = worker.post(f"/api/v1/feedback/{fid}/review", json={"new_themes": ["Worker's idea"]})
    assert r.status_code == 403
    r = worker.post("/api/v1/changes", json={
        "service_id": service_id(demo, "domiciliary"), "description": "x", "starts_on": TODAY.isoformat(), "co_produced_with": "y"})
    assert r.status_code == 403
    assert worker.get(f"/api/v1/feedback/{fid}/suggested-themes").status_code == 403
    assert worker.get(f"/api/v1/changes/{change_id(demo, 'Quieter breakfast time (staggered, radio off)')}/effect").status_code == 403
    assert api_for(SENIOR).post(f"/api/v1/feedback/{fid}/review", json={}).status_code == 403
    assert snapshot_improvement(demo) == before


def snapshot_improvement(app):
    with app.app_context():
        return {
            m.__tablename__: db.session.execute(select(func.count()).select_from(m)).scalar_one()
            for m in (FeedbackConversation, FeedbackTheme, Theme, Change, WeeklyCheck, ServiceEvent)
        } | {"reviewed": db.session.execute(select(func.count()).select_from(FeedbackConversation).where(FeedbackConversation.reviewed_at.is_not(None))).scalar_one()}


def test_commissioners_get_nothing_named(demo, api_for):
    commissioner = api_for(COMMISSIONER)
    cid = change_id(demo, "Quieter breakfast time (staggered, radio off)")
    listed = commissioner.get("/api/v1/changes")
    assert listed.status_code == 200 and len(listed.get_json()) == count(demo, Change)  # every change, anonymised
    assert all(c["anonymised"] for c in listed.get_json())
    assert_no_names(demo, listed.get_json(), change_text=True)
    detail = commissioner.get(f"/api/v1/changes/{cid}").get_json()
    assert detail["starts_on"] and detail["whole_service"] is True
    # The change is not anonymous (what it was, in which service); the people in it are.
    assert detail["description"] == "Quieter breakfast time (staggered, radio off)" and detail["service_name"] == "Elm Court"
    assert_no_names(demo, detail, change_text=True)
    effect = commissioner.get(f"/api/v1/changes/{cid}/effect?weeks=20")
    assert effect.status_code == 200
    body = effect.get_json()
    assert body["measures"]["incidents"]["rate_ratio"] < 1
    assert len(body["overlapping_changes"]) == 1 and "description" not in body["overlapping_changes"][0]
    assert "the change started on" in body["summary"] and "a change on" in body["summary"]
    assert body["themes"] == []
    assert_no_names(demo, {k: v for k, v in body.items() if k != "measures"}, change_text=True)
    flexible = commissioner.get(f"/api/v1/changes/{change_id(demo, 'Flexible arrival windows for morning calls')}/effect").get_json()
    assert [t["theme"]["name"] for t in flexible["themes"]] == ["Feeling rushed", "Morning call timing"]  # labels checked for names, as in the report
    assert "CI" not in flexible["headline"] and len(flexible["headline"].split()) < 30
    assert_no_names(demo, flexible, change_text=True)
    fid = latest_feedback(demo, "Margaret Ellis")
    ben = person_id(demo, "Ben Carter")
    for url in ("/api/v1/feedback", f"/api/v1/feedback/{fid}", f"/api/v1/feedback/{fid}/suggested-themes", "/api/v1/themes",
                f"/api/v1/services/{service_id(demo, 'domiciliary')}/themes", f"/api/v1/people/{ben}/checks", f"/api/v1/people/{ben}/events"):
        r = commissioner.get(url)
        assert r.status_code in (403, 404), url
        assert_no_names(demo, r.get_json())
    for url, body in (("/api/v1/checks", check_body(ben, MONDAY)), ("/api/v1/feedback/" + fid + "/review", {})):
        assert commissioner.post(url, json=body).status_code in (403, 404)


def test_a_name_given_after_a_commissioner_has_looked_is_hidden_from_them_at_once(demo, api_for):
    """The organisation's name words are kept between requests; a new or changed name is seen at once."""
    commissioner = api_for(COMMISSIONER)
    cid = change_id(demo, "Quieter breakfast time (staggered, radio off)")

    def shown() -> str:
        return {c["id"]: c["description"] for c in commissioner.get("/api/v1/changes").get_json()}[cid]

    assert shown() == "Quieter breakfast time (staggered, radio off)"
    ben = person_id(demo, "Ben Carter")
    with demo.app_context():
        version = db.session.get(Person, ben).version
    r = api_for("admin@demo.example").patch(f"/api/v1/people/{ben}", json={"version": version, "preferred_name": "Radio"})
    assert r.status_code == 200, r.get_json()
    assert shown() == "A change in Elm Court"


def test_people_supported_and_admins_see_no_changes(demo, api_for):
    for email in ("person@demo.example", "admin@demo.example"):
        api = api_for(email)
        assert api.get("/api/v1/changes").status_code == 403
        assert api.get(f"/api/v1/changes/{change_id(demo, 'Evening walk added after tea')}/effect").status_code == 403
        assert api.get("/api/v1/feedback").status_code == 403


# ---- weekly checks and events ----

def test_weekly_check_is_stored_for_the_monday_and_a_second_one_for_that_week_is_409(demo, api_for):
    worker = api_for(WORKER)
    sam = person_id(demo, "Sam Taylor")
    wednesday = MONDAY - timedelta(weeks=1) + timedelta(days=2)
    body = {**check_body(sam, wednesday, incidents=0, engagement=4, mood=5, note="Good week"), "id": str(uuid.uuid4())}
    r = worker.post("/api/v1/checks", json=body)
    assert r.status_code == 201, r.get_json()
    assert r.get_json()["week_of"] == (MONDAY - timedelta(weeks=1)).isoformat()
    assert worker.post("/api/v1/checks", json=body).status_code == 200  # the same check retried
    dup = worker.post("/api/v1/checks", json=check_body(sam, MONDAY - timedelta(weeks=1)))
    assert dup.status_code == 409
    assert "week_of" in error_fields(dup) and dup.get_json()["error"]["code"] == "already_recorded"
    assert count(demo, WeeklyCheck, WeeklyCheck.person_id == sam) == 1
    listed = worker.get(f"/api/v1/people/{sam}/checks")
    assert listed.status_code == 200 and [c["id"] for c in listed.get_json()] == [body["id"]]
    assert count(demo, AuditEvent, AuditEvent.entity == "weekly_check", AuditEvent.action == "create") == 1


def test_weekly_check_bad_input_names_the_field_and_saves_nothing(demo, api_for):
    worker = api_for(RESIDENTIAL)
    ben = person_id(demo, "Ben Carter")
    before = count(demo, WeeklyCheck)
    cases = [
        (check_body(ben, MONDAY, incidents=-1), "incidents"),
        (check_body(ben, MONDAY, incidents=1.5), "incidents"),
        (check_body(ben, MONDAY, incidents="2"), "incidents"),
        (check_body(ben, MONDAY, mood=7), "mood"),
        (check_body(ben, MONDAY, mood=0), "mood"),
        (check_body(ben, MONDAY, engagement=None), "engagement"),
        ({k: v for k, v in check_body(ben, MONDAY).items() if k != "week_of"}, "week_of"),
        (check_body(ben, MONDAY + timedelta(weeks=2)), "week_of"),
        ({**check_body(ben, MONDAY), "week_of": "monday"}, "week_of"),
    ]
    for body, field in cases:
        r = worker.post("/api/v1/checks", json=body)
        assert r.status_code == 422, (body, r.get_json())
        assert field in error_fields(r), (field, r.get_json())
    # Ben already has a check for last week (demo data): 409 naming week_of, nothing added.
    dup = worker.post("/api/v1/checks", json=check_body(ben, MONDAY - timedelta(weeks=1)))
    assert dup.status_code == 409 and "week_of" in error_fields(dup)
    assert count(demo, WeeklyCheck) == before
    # This week has no check yet.
    assert worker.post("/api/v1/checks", json=check_body(ben, MONDAY)).status_code == 201


def test_events_are_recorded_and_listed(demo, api_for):
    worker = api_for(RESIDENTIAL)
    lily = person_id(demo, "Lily Evans")
    body = {"id": str(uuid.uuid4()), "person_id": lily, "kind": "community_participation", "happened_at": (NOW - timedelta(days=1)).isoformat(), "note": "Went to the market"}
    r = worker.post("/api/v1/events", json=body)
    assert r.status_code == 201 and r.get_json()["kind"] == "community_participation"
    assert worker.post("/api/v1/events", json=body).status_code == 200
    before = count(demo, ServiceEvent)
    bad = worker.post("/api/v1/events", json={**body, "id": str(uuid.uuid4()), "kind": "party"})
    assert bad.status_code == 422 and "kind" in error_fields(bad)
    future = worker.post("/api/v1/events", json={**body, "id": str(uuid.uuid4()), "happened_at": (NOW + timedelta(days=3)).isoformat()})
    assert future.status_code == 422 and "happened_at" in error_fields(future)
    assert count(demo, ServiceEvent) == before
    listed = worker.get(f"/api/v1/people/{lily}/events?kind=community_participation").get_json()
    assert body["id"] in [e["id"] for e in listed] and {e["kind"] for e in listed} == {"community_participation"}
    assert api_for(WORKER).post("/api/v1/events", json={**body, "id": str(uuid.uuid4())}).status_code == 404  # not on Alex's caseload


# ---- organisation isolation ----

def test_another_organisation_gets_nothing_and_changes_nothing(demo, api_for):
    other = other_org(demo)
    manager = api_for(other["registered_manager"])
    fid = latest_feedback(demo, "Margaret Ellis")
    cid = change_id(demo, "Quieter breakfast time (staggered, radio off)")
    ben = person_id(demo, "Ben Carter")
    before = snapshot_improvement(demo)
    r = manager.post(f"/api/v1/feedback/{fid}/review", json={"new_themes": ["Planted"]})
    assert r.status_code == 404 and "feedback_id" in error_fields(r)
    assert manager.get(f"/api/v1/feedback/{fid}/suggested-themes").status_code == 404
    assert manager.get(f"/api/v1/changes/{cid}").status_code == 404
    assert manager.get(f"/api/v1/changes/{cid}/effect").status_code == 404
    assert manager.get("/api/v1/changes").get_json() == []
    assert manager.get("/api/v1/feedback").get_json() == []
    assert manager.get("/api/v1/themes").get_json() == []
    assert manager.get(f"/api/v1/services/{service_id(demo, 'domiciliary')}/themes").status_code == 404
    r = manager.post("/api/v1/changes", json={"service_id": service_id(demo, "residential"), "description": "x", "starts_on": TODAY.isoformat(), "co_produced_with": "y"})
    assert r.status_code == 404 and "service_id" in error_fields(r)
    r = manager.post("/api/v1/checks", json=check_body(ben, MONDAY))
    assert r.status_code == 404 and "person_id" in error_fields(r)
    assert manager.get(f"/api/v1/people/{ben}/checks").status_code == 404
    # Their own conversation, tagged with one of our themes: 404 naming theme_ids.
    with demo.app_context():
        conversation = FeedbackConversation(person_id=other["person_id_"], happened_at=NOW, works_well="Fine")
        db.session.add(conversation)
        db.session.commit()
        own = conversation.id
    r = manager.post(f"/api/v1/feedback/{own}/review", json={"theme_ids": [theme_id(demo, "Feeling rushed")], "new_themes": ["Ours"]})
    assert r.status_code == 404 and "theme_ids" in error_fields(r)
    with demo.app_context():
        assert db.session.get(FeedbackConversation, own).reviewed_at is None
        assert db.session.execute(select(Theme).where(Theme.name == "Ours")).first() is None
    after = snapshot_improvement(demo)
    assert {k: v for k, v in after.items() if k != "feedback_conversations"} == {k: v for k, v in before.items() if k != "feedback_conversations"}


# ---- the same rules through sync ----

def test_sync_mutations_use_the_same_rules(demo, api_for):
    worker = api_for(RESIDENTIAL)
    ben = person_id(demo, "Ben Carter")
    manager = api_for(MANAGER)
    check_id, event_id, feedback_id, change = (str(uuid.uuid4()) for _ in range(4))
    device = str(uuid.uuid4())
    r = worker.post("/api/v1/sync/push", json={"device_id": device, "mutations": [
        {"id": 1, "name": "check.create", "args": {**check_body(ben, MONDAY), "id": check_id}},
        {"id": 2, "name": "check.create", "args": {**check_body(ben, MONDAY - timedelta(weeks=1)), "id": str(uuid.uuid4())}},
        {"id": 3, "name": "event.create", "args": {"id": event_id, "person_id": ben, "kind": "employment", "happened_at": NOW.isoformat()}},
        {"id": 4, "name": "feedback.create", "args": {"id": feedback_id, "person_id": ben, "happened_at": NOW.isoformat(), "feels_difficult": "Noisy"}},
        {"id": 5, "name": "check.create", "args": {**check_body(ben, MONDAY, mood=9), "id": str(uuid.uuid4())}},
    ]})
    assert r.status_code == 200, r.get_json()
    results = {x["id"]: x for x in r.get_json()["results"]}
    assert results[1]["status"] == "applied"
    assert results[2]["status"] == "rejected" and "week_of" in results[2]["error"]["fields"]
    assert results[3]["status"] == "applied" and results[4]["status"] == "applied"
    assert results[5]["status"] == "rejected" and "mood" in results[5]["error"]["fields"]
    r = manager.post("/api/v1/sync/push", json={"device_id": str(uuid.uuid4()), "mutations": [
        {"id": 1, "name": "change.create", "args": {"id": change, "service_id": service_id(demo, "residential"), "description": "Tablet change",
                                                      "starts_on": TODAY.isoformat(), "co_produced_with": "Residents"}},
    ]})
    assert r.get_json()["results"][0]["status"] == "applied"
    with demo.app_context():
        assert db.session.get(WeeklyCheck, check_id) and db.session.get(ServiceEvent, event_id)
        assert db.session.get(FeedbackConversation, feedback_id) and db.session.get(Change, change)


def test_openapi_lists_the_endpoints(client):
    paths = client.get("/api/v1/openapi.json").get_json()["paths"]
    for path in ("/api/v1/feedback", "/api/v1/feedback/{feedback_id}/review", "/api/v1/feedback/{feedback_id}/suggested-themes",
                 "/api/v1/themes", "/api/v1/services/{service_id}/themes", "/api/v1/changes", "/api/v1/changes/{change_id}",
                 "/api/v1/changes/{change_id}/effect", "/api/v1/checks", "/api/v1/people/{person_id}/checks", "/api/v1/events",
                 "/api/v1/people/{person_id}/events"):
        assert path in paths, path
