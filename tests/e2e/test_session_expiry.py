"""An expired session keeps the outbox and asks the worker to sign in again; signing out with
unsent changes warns first and then wipes the phone's copy."""
from datetime import datetime, timezone

from playwright.sync_api import expect
from sqlalchemy import func, select, update
from werkzeug.exceptions import ServiceUnavailable

from server.domain import sync as sync_domain
from server.extensions import db
from server.models import AuthSession, EvidenceNote
from tests.e2e.conftest import sign_in
from tests.e2e.test_offline import phone_signed_in, record_offline_review


def test_expired_session_keeps_the_outbox_until_signed_in_again(live, playwright_instance, tmp_path):
    context, page = phone_signed_in(playwright_instance, live, tmp_path / "phone", "worker@demo.example")
    context.set_offline(True)
    record_offline_review(page, "Sam Taylor", 1)
    with live.writing():  # the session expires on the server while the phone is offline
        db.session.execute(update(AuthSession).values(revoked_at=datetime.now(timezone.utc)))
        db.session.commit()
    context.set_offline(False)
    page.locator("#sync-state", has_text="Signed out: sign in again").wait_for(timeout=30000)
    with live.app.app_context():
        assert db.session.scalar(select(func.count()).select_from(EvidenceNote).where(EvidenceNote.text == "Offline note 1")) == 0
    page.locator("#sync-state").click()
    expect(page.get_by_role("heading", name="Sign in")).to_be_visible()
    expect(page.locator("main")).to_contain_text("1 change by Alex Morgan is waiting")
    page.get_by_label("Email").fill("worker@demo.example")
    page.get_by_label("Password").fill("demo-password")
    page.get_by_role("button", name="Sign in").click()
    page.locator("#sync-state", has_text="All sent").wait_for(timeout=30000)
    with live.app.app_context():
        assert db.session.scalar(select(func.count()).select_from(EvidenceNote).where(EvidenceNote.text == "Offline note 1")) == 1
    context.close()


def test_sign_out_with_unsent_changes_warns_then_wipes(live, playwright_instance, tmp_path, monkeypatch):
    context, page = phone_signed_in(playwright_instance, live, tmp_path / "phone", "worker@demo.example")

    def refuse(*args, **kwargs):
        raise ServiceUnavailable("Try again later.")

    # The change cannot be sent yet, whoever sends it: the page, or the service worker's Background
    # Sync (the browser's offline emulation does not reach the service worker, nor does page.route).
    monkeypatch.setattr(sync_domain, "push", refuse)
    context.set_offline(True)
    record_offline_review(page, "Sam Taylor", 1)
    context.set_offline(False)
    page.locator("#sync-state", has_text="1 change waiting to send").wait_for()
    # Dialogs are answered by a handler as they open (a confirm blocks the page until answered).
    answers, messages = ["dismiss", "accept"], []

    def answer(dialog):
        messages.append(dialog.message)
        getattr(dialog, answers.pop(0))()

    page.on("dialog", answer)
    page.get_by_role("button", name="Sign out").click()
    for _ in range(100):
        if messages:
            break
        page.wait_for_timeout(100)
    assert messages and "not reached the server" in messages[0]
    expect(page.get_by_role("heading", name="Sam Taylor")).to_be_visible()
    expect(page.locator("#sync-state")).to_contain_text("1 change waiting to send")
    page.get_by_role("button", name="Sign out").click()
    page.get_by_role("heading", name="Sign in").wait_for()
    left = page.evaluate("""async () => {
        const db = await new Promise((ok, fail) => { const r = indexedDB.open('tandem'); r.onsuccess = () => ok(r.result); r.onerror = fail; });
        const count = (name) => new Promise((ok) => { const q = db.transaction(name).objectStore(name).count(); q.onsuccess = () => ok(q.result); });
        return { people: await count('people'), reviews: await count('reviews'), outbox: await count('outbox') };
    }""")
    assert left == {"people": 0, "reviews": 0, "outbox": 0}

    # A second user on the same phone sees none of the first user's people.
    sign_in(page, live, "residential@demo.example")
    expect(page.get_by_role("heading", name="My caseload")).to_be_visible()
    expect(page.locator(".card-title").filter(has_text="Ben Carter")).to_have_count(1)
    expect(page.locator(".card-title").filter(has_text="Sam Taylor")).to_have_count(0)
    context.close()
