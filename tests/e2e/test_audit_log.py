"""A registered manager opens Sam's record and follows "Who has seen and changed this record": the
worker's views of Sam's record are there, newest first, as plain sentences with a UK date and the
device, paged with "Load more" (keyboard); the page passes axe at 320 px; the database agrees."""
import re
import uuid

from playwright.sync_api import expect
from sqlalchemy import func, select

from server.extensions import db
from server.models import AuditEvent, Person, User
from tests.conftest import Api
from tests.e2e.conftest import axe_violations, sign_in

ANDROID_CHROME = "Mozilla/5.0 (Linux; Android 14; Pixel 7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0 Mobile Safari/537.36"
VIEWS = 55  # more than one page of 50


def test_manager_sees_who_has_seen_sams_record(live, page):
    with live.app.app_context():
        sam = db.session.execute(select(Person).where(Person.name == "Sam Taylor")).scalar_one().id
        worker_id = db.session.execute(select(User.id).where(User.email == "worker@demo.example")).scalar_one()
    # The worker's phone registers its device, then opens Sam's record many times.
    worker = Api(live.app)
    assert worker.login("worker@demo.example").status_code == 200
    phone = str(uuid.uuid4())
    r = worker.client.put("/api/v1/session/device", json={"device_id": phone}, headers=worker._h({"User-Agent": ANDROID_CHROME}))
    assert r.status_code == 200, r.get_json()
    for _ in range(VIEWS):
        assert worker.get(f"/api/v1/people/{sam}").status_code == 200

    page.set_viewport_size({"width": 320, "height": 780})
    sign_in(page, live, "manager@demo.example")
    expect(page.get_by_role("heading", name="People")).to_be_visible()
    page.goto(f"{live.url}/people/{sam}")
    expect(page.get_by_role("heading", name="Sam Taylor", exact=True)).to_be_visible()
    page.get_by_role("link", name="Who has seen and changed this record").click()
    expect(page.get_by_role("heading", name=re.compile("Who has seen and changed Sam Taylor.s record"))).to_be_visible()

    entries = page.locator(".audit-list li")
    worker_sentence = re.compile(
        r"^Alex Morgan \(support worker\) viewed Sam Taylor's record on \d{1,2} [A-Z][a-z]{2} \d{4} at \d{2}:\d{2} "
        r"from Android phone \(Chrome\)\.$")
    expect(entries).to_have_count(50)
    # Newest first: the manager's own views of Sam (the list and the page just opened) come first; the worker's
    # views follow on the later pages.
    assert axe_violations(page) == []
    width, visible = page.evaluate("() => [document.documentElement.scrollWidth, document.documentElement.clientWidth]")
    assert width <= visible

    # "Load more" by keyboard: the next entries appear and focus moves to the first of them.
    more = page.get_by_role("button", name="Load more")
    more.focus()
    page.keyboard.press("Enter")
    expect(page.locator("#audit-50")).to_be_focused()
    for page_number in range(2, 10):  # the rest, a page at a time
        if page.get_by_text("That is everything.").count():
            break
        page.get_by_role("button", name="Load more").click()
        expect(page.locator(f"#audit-{page_number * 50}").or_(page.get_by_text("That is everything."))).to_be_visible()
    expect(page.get_by_text("That is everything.")).to_be_visible()
    expect(page.get_by_role("button", name="Load more")).to_have_count(0)
    shown = [t.strip() for t in entries.all_inner_texts()]
    assert sum(1 for text in shown if worker_sentence.match(text)) == VIEWS
    assert axe_violations(page) == []

    with live.app.app_context():
        stored = db.session.execute(
            select(func.count(), func.min(AuditEvent.device_id), func.max(AuditEvent.device_id)).where(
                AuditEvent.user_id == worker_id, AuditEvent.person_id == sam,
                AuditEvent.action == "view", AuditEvent.entity == "person")
        ).one()
        assert tuple(stored) == (VIEWS, phone, phone)
        # Opening the audit trail was itself recorded, for the manager.
        manager_reads = db.session.execute(
            select(func.count()).select_from(AuditEvent).join(User, User.id == AuditEvent.user_id).where(
                User.email == "manager@demo.example", AuditEvent.entity == "audit", AuditEvent.person_id == sam)
        ).scalar_one()
        assert manager_reads >= 2  # each page fetched (the first page, "Load more")
