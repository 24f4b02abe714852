"""The CQC evidence pack, the person's own summary, the subject access export and the FHIR record,
each produced from the demo and read back."""
from __future__ import annotations

import io
import json
import re
import zipfile
from datetime import date, timedelta
from html import unescape

from sqlalchemy import select

from server.domain import evidence_sources
from server.extensions import db
from server.models import AuditEvent, Outcome, Person, Review, User
from tests.documents import Pdf, has_ink, squash


def person_id(app, name):
    with app.app_context():
        return db.session.execute(select(Person.id).where(Person.name == name)).scalar_one()


def service_id(api, kind):
    return next(s["id"] for s in api.get("/api/v1/services").get_json() if s["kind"] == kind)


# ---- the CQC evidence pack ----

def test_cqc_pack_is_organised_by_quality_statement_with_dated_traceable_items(demo, api_for):
    api = api_for("manager@demo.example")
    sid = service_id(api, "supported_living")
    r = api.get(f"/api/v1/services/{sid}/cqc-pack")
    assert r.status_code == 200 and r.mimetype == "text/html"
    html = unescape(r.get_data(as_text=True))
    for statement in ("Person-centred care", "Care provision, integration and continuity", "Learning culture",
                      "Governance, management and sustainability"):
        assert f"Quality statement: {statement}" in html
    for section in ("People's goals in their own words", "Outcomes shared with the person", "Outcomes reviewed and acted upon",
                    "Feedback → theme → change → effect", "The learning log", "Escalations and their answers", "Care-plan audits"):
        assert section in html, section
    # Named, in their own words, and traceable to the record.
    assert "Sam Taylor" in html and "Going into town on my own, like everyone else." in html
    with demo.app_context():
        dropped = db.session.execute(
            select(Review).join(Person, Person.id == Review.person_id)
            .where(Person.name == "Jordan Lee", Review.support_adjustment.is_not(None), Review.happened_at >= db.func.now() - timedelta(days=360))
        ).scalars().first()
        assert dropped is not None
        ref = f"review {dropped.id}"
    assert ref in html and "Support adjusted:" in html
    assert re.search(r'class="when">\d{1,2} \w+ \d{4}<', html), "every item carries its date"
    # Ratings by the person or together, and Sam's own "My goals" sign-in.
    assert "rated by the person" in html or "rated together" in html
    assert "Has a “My goals” sign-in" in html
    # Governance sections come from the governance records (evidence_sources): the demo's answered
    # escalation for Aisha, with leadership's answer, is in the pack.
    assert "Aisha chose weekly video calls with her sister" in html


def test_cqc_pack_feedback_theme_change_effect_for_home_care(demo, api_for):
    api = api_for("manager@demo.example")
    sid = service_id(api, "domiciliary")
    start = (date.today() - timedelta(days=365)).isoformat()
    html = unescape(api.get(f"/api/v1/services/{sid}/cqc-pack?from={start}&to={date.today().isoformat()}").get_data(as_text=True))
    assert "Flexible arrival windows for morning calls" in html
    assert "Feedback theme “Feeling rushed”: tagged in" in html
    assert "association, not cause" in html


def test_cqc_pack_pdf_is_tagged_and_shows_governance_records_from_their_providers(demo, api_for, monkeypatch):
    from datetime import datetime, timezone

    api = api_for("senior@demo.example")
    sid = service_id(api, "supported_living")
    sam = person_id(demo, "Sam Taylor")
    monkeypatch.setattr(evidence_sources, "escalations", lambda service_id, start, end: [{
        "id": "esc-1", "person_id": sam, "person_name": "Sam Taylor", "outcome_id": None, "rule": "deterioration",
        "status": "answered", "raised_at": datetime.now(timezone.utc) - timedelta(days=20),
        "acknowledged_by": "Chris Patel", "acknowledged_at": datetime.now(timezone.utc) - timedelta(days=19),
        "answer": "Extra travel training agreed", "answered_by": "Chris Patel", "answered_at": datetime.now(timezone.utc) - timedelta(days=18)}])
    monkeypatch.setattr(evidence_sources, "learning_entries", lambda service_id, start, end: [{
        "id": "learn-1", "recorded_on": date.today() - timedelta(days=10), "learned": "Drops follow route changes",
        "decision": "Check routes monthly", "source_kind": "escalation", "source_id": "esc-1", "change_id": None, "recorded_by": "Bea Okafor"}])
    r = api.get(f"/api/v1/services/{sid}/cqc-pack?format=pdf")
    assert r.status_code == 200 and r.mimetype == "application/pdf"
    pdf = Pdf(r.data)
    assert pdf.tagged and pdf.language == "en-GB"
    assert "Extra travel training agreed" in pdf.text and "Drops follow route changes" in pdf.text
    assert "escalation esc-1" in pdf.text
    total = len(pdf.pages)
    for i, page in enumerate(pdf.pages, start=1):
        assert "CQC evidence pack" in squash(page) and f"Page {i} of {total}" in squash(page)
    pngs = pdf.render_pngs("cqc-pack-supported-living")
    assert all(has_ink(p) for p in pngs)


def test_cqc_pack_period_is_checked(demo, api_for):
    api = api_for("manager@demo.example")
    sid = service_id(api, "supported_living")
    r = api.get(f"/api/v1/services/{sid}/cqc-pack?from=2026-05-01&to=2026-04-01")
    assert r.status_code == 422 and "to" in r.get_json()["error"]["fields"]
    r = api.get(f"/api/v1/services/{sid}/cqc-pack?from=not-a-date")
    assert r.status_code == 422 and "from" in r.get_json()["error"]["fields"]
    r = api.get(f"/api/v1/services/{sid}/cqc-pack?from=2010-01-01&to=2026-01-01")
    assert r.status_code == 422 and "from" in r.get_json()["error"]["fields"]
    r = api.get(f"/api/v1/services/{sid}/cqc-pack?to=0001-01-01")
    assert r.status_code == 422 and "to" in r.get_json()["error"]["fields"]


# ---- the person's own summary ----

def test_a_person_prints_their_own_easy_read_summary(demo, api_for):
    api = api_for("person@demo.example")
    sam = person_id(demo, "Sam Taylor")
    html = unescape(api.get(f"/api/v1/people/{sam}/summary").get_data(as_text=True))
    assert '<body class="easy-read">' in html
    # Their words first: each goal opens with what they said, then the goal's name.
    words, goal = html.index("“Going into town on my own, like everyone else.”"), html.index("Confidence using buses")
    assert words < goal
    assert "Then:" in html and "Now:" in html and "<svg" in html
    assert "What happens next" in html and "Who helps: You" in html
    assert "Alex Morgan, my keyworker" in html
    assert "Choosing how I live my day" in html  # the goal's wellbeing areas, in easy read
    r = api.get(f"/api/v1/people/{sam}/summary?format=pdf")
    assert r.status_code == 200 and r.mimetype == "application/pdf"
    pdf = Pdf(r.data)
    assert pdf.tagged and pdf.language == "en-GB"
    assert "My goals" in pdf.text and "Going into town on my own, like everyone else." in pdf.text
    assert pdf.text.index("Going into town on my own") < pdf.text.index("Confidence using buses")
    assert "Now: " in pdf.text and "out of 5" in pdf.text
    pngs = pdf.render_pngs("summary-sam")
    assert all(has_ink(p) for p in pngs)
    # Someone else's summary is not there for them.
    priya = person_id(demo, "Priya Shah")
    assert api.get(f"/api/v1/people/{priya}/summary").status_code == 404


def test_the_apps_picture_words_are_the_documents(app):
    from pathlib import Path

    from server.domain.pictures import PROGRESS_WORDS

    js = (Path(__file__).resolve().parent.parent / "client" / "js" / "pictures.js").read_text()
    words = re.search(r"progress: \{.*?words: \{(.*?)\}", js, re.S).group(1)
    assert dict((int(k), v) for k, v in re.findall(r'(\d): "([^"]+)"', words)) == PROGRESS_WORDS


def test_staff_summary_views_are_audited(demo, api_for):
    worker = api_for("worker@demo.example")
    sam = person_id(demo, "Sam Taylor")
    assert worker.get(f"/api/v1/people/{sam}/summary?format=pdf").status_code == 200
    with demo.app_context():
        entry = db.session.execute(select(AuditEvent).where(AuditEvent.entity == "person_summary", AuditEvent.person_id == sam)).scalar_one()
        assert entry.action == "view" and entry.detail["format"] == "pdf"


# ---- subject access ----

def test_subject_access_export_holds_everything_with_who_viewed_and_changed(demo, api_for):
    sam = person_id(demo, "Sam Taylor")
    api_for("worker@demo.example").get(f"/api/v1/people/{sam}")  # a view, to find in the audit
    api = api_for("manager@demo.example")
    r = api.get(f"/api/v1/people/{sam}/export")
    assert r.status_code == 200 and r.mimetype == "application/json"
    assert r.headers["Content-Disposition"].startswith("attachment;")
    doc = json.loads(r.data)
    assert set(doc) >= {"about", "person", "staff_with_access", "account", "outcomes", "reviews", "evidence_notes",
                        "feedback_conversations", "weekly_checks", "events", "changes", "governance", "audit"}
    assert set(doc["about"]["how_to_read"]) >= set(doc) - {"about"}
    assert "one month" in doc["about"]["before_handing_over"]
    assert doc["person"]["name"] == "Sam Taylor"
    assert doc["account"]["email"] == "person@demo.example" and "password_hash" not in json.dumps(doc)
    with demo.app_context():
        n_outcomes = db.session.execute(select(db.func.count()).select_from(Outcome).where(Outcome.person_id == sam)).scalar_one()
        n_reviews = db.session.execute(select(db.func.count()).select_from(Review).where(Review.person_id == sam)).scalar_one()
    assert len(doc["outcomes"]) == n_outcomes and len(doc["reviews"]) == n_reviews
    assert any(e["text"] == "Travelled alone to GP appointment" for r in doc["reviews"] for e in r["evidence"])
    assert doc["outcomes"][0]["wellbeing_areas"] and doc["outcomes"][0]["actions"]
    views = [e for e in doc["audit"] if e["action"] == "view" and e["by"] and e["by"]["name"] == "Alex Morgan"]
    assert views, "the worker's view of Sam's record is in the export"
    assert {"Alex Morgan"} <= {s["user"]["name"] for s in doc["staff_with_access"]}


def test_subject_access_zip_has_the_json_the_summary_pdf_and_fhir(demo, api_for):
    sam = person_id(demo, "Sam Taylor")
    r = api_for("admin@demo.example").get(f"/api/v1/people/{sam}/export?format=zip")
    assert r.status_code == 200 and r.mimetype == "application/zip"
    with zipfile.ZipFile(io.BytesIO(r.data)) as z:
        assert set(z.namelist()) == {"README.txt", "export.json", "summary.pdf", "fhir.json"}
        assert json.loads(z.read("export.json"))["person"]["id"] == sam
        assert Pdf(z.read("summary.pdf")).tagged
        assert json.loads(z.read("fhir.json"))["resourceType"] == "Bundle"
        assert "one month" in z.read("README.txt").decode()
    with demo.app_context():
        admin = db.session.execute(select(User).where(User.email == "admin@demo.example")).scalar_one()
        assert db.session.execute(select(AuditEvent).where(AuditEvent.entity == "subject_access_export", AuditEvent.user_id == admin.id)).first()


# ---- FHIR ----

def test_fhir_bundle_validates_and_every_reference_resolves_inside_it(demo, api_for):
    from fhir.resources.R4B.bundle import Bundle

    sam = person_id(demo, "Sam Taylor")
    r = api_for("worker@demo.example").get(f"/api/v1/people/{sam}/fhir")
    assert r.status_code == 200 and r.mimetype == "application/fhir+json"
    raw = json.loads(r.data)
    bundle = Bundle.model_validate(raw)
    assert bundle.type == "collection"
    full_urls = [e["fullUrl"] for e in raw["entry"]]
    assert len(full_urls) == len(set(full_urls))
    by_type: dict[str, list] = {}
    for e in raw["entry"]:
        by_type.setdefault(e["resource"]["resourceType"], []).append(e["resource"])
    assert len(by_type["Patient"]) == 1 and by_type["Patient"][0]["name"][0]["text"] == "Sam Taylor"
    with demo.app_context():
        outcomes = {o.id: o for o in db.session.execute(select(Outcome).where(Outcome.person_id == sam)).scalars()}
        reviews = {r.id: r for r in db.session.execute(select(Review).where(Review.person_id == sam)).scalars()}
        goals = {g["id"]: g for g in by_type["Goal"]}
        assert set(goals) == set(outcomes)
        for oid, o in outcomes.items():
            g = goals[oid]
            assert g["description"]["text"] == o.persons_words
            assert g["lifecycleStatus"] == {"active": "active", "achieved": "completed", "paused": "on-hold", "retired": "cancelled"}[o.status]
            assert g["startDate"] == o.starts_on.isoformat() and g["target"][0]["dueDate"] == o.review_by.isoformat()
            assert g["target"][0]["measure"]["text"] == o.indicator
        observations = {ob["id"]: ob for ob in by_type["Observation"]}
        assert set(observations) == set(reviews)
        for rid, rev in reviews.items():
            ob = observations[rid]
            assert ob["valueInteger"] == rev.score and 1 <= ob["valueInteger"] <= 5
            assert ob["code"]["coding"][0]["system"].endswith("/api/v1/fhir/CodeSystem/progress-scale")
            assert ob["effectiveDateTime"].startswith(rev.happened_at.date().isoformat())
            assert [n["text"] for n in ob["note"]][: len(rev.evidence)] == [e.text for e in rev.evidence]
            assert ob["performer"]
    care_plan = by_type["CarePlan"][0]
    assert {ref["reference"] for ref in care_plan["goal"]} == {f"urn:uuid:{oid}" for oid in outcomes}
    assert care_plan["activity"] and all(a["detail"]["goal"] for a in care_plan["activity"])

    def references(node):
        if isinstance(node, dict):
            for key, value in node.items():
                if key == "reference":
                    yield value
                else:
                    yield from references(value)
        elif isinstance(node, list):
            for value in node:
                yield from references(value)

    found = list(references([e["resource"] for e in raw["entry"]]))
    assert found and all(ref in full_urls for ref in found), set(found) - set(full_urls)


def test_the_apps_code_systems_are_published(demo, anon):
    from fhir.resources.R4B.codesystem import CodeSystem

    r = anon.get("/api/v1/fhir/CodeSystem/progress-scale")
    assert r.status_code == 200 and r.mimetype == "application/fhir+json"
    system = CodeSystem.model_validate(json.loads(r.data))
    assert system.url.endswith("/api/v1/fhir/CodeSystem/progress-scale")
    assert [c.code for c in system.concept[0].concept] == ["1", "2", "3", "4", "5"]
    areas = CodeSystem.model_validate(json.loads(anon.get("/api/v1/fhir/CodeSystem/care-act-wellbeing").data))
    assert len(areas.concept) == 9
    assert anon.get("/api/v1/fhir/CodeSystem/other").status_code == 404


def test_openapi_lists_every_evidence_endpoint(app, anon):
    spec = anon.get("/api/v1/openapi.json").get_json()
    for path in ("/api/v1/services/{service_id}/report", "/api/v1/services/{service_id}/cqc-pack", "/api/v1/people/{person_id}/summary",
                 "/api/v1/people/{person_id}/export", "/api/v1/people/{person_id}/fhir", "/api/v1/wellbeing-areas"):
        assert "get" in spec["paths"][path], path
    report = spec["paths"]["/api/v1/services/{service_id}/report"]["get"]
    assert {"quarter", "format", "table", "version"} <= {p["name"] for p in report["parameters"]}
    assert "application/pdf" in report["responses"]["200"]["content"]
