"""Issue: a worker with no signal records everything on the phone, and every record reaches the
server exactly once."""
import re

from playwright.sync_api import expect
from sqlalchemy import func, select

from server.extensions import db
from server.models import EvidenceNote, Review
from tests.e2e.conftest import ARGS, CHROMIUM, TIMEOUT_MS, sign_in

PEOPLE = ["Sam Taylor", "Priya Shah", "Jordan Lee"]


def open_persistent(playwright_instance, user_data_dir, offline=False):
    # offline=True: the browser starts with no signal, so neither a restored tab nor the service
    # worker's Background Sync can send the outbox in the moment before the test cuts the signal.
    context = playwright_instance.chromium.launch_persistent_context(
        str(user_data_dir), executable_path=CHROMIUM, args=ARGS, headless=True,
        viewport={"width": 360, "height": 780}, locale="en-GB", service_workers="allow", offline=offline,
    )
    context.set_default_timeout(TIMEOUT_MS)
    return context


def wait_for_service_worker(page, seconds=15):
    # Polled from here: the page's CSP forbids the string evaluation wait_for_function would use.
    for _ in range(seconds * 10):
        if page.evaluate("() => navigator.serviceWorker.controller !== null"):
            return
        page.wait_for_timeout(100)
    raise AssertionError("the service worker never took control of the page")


def phone_signed_in(playwright_instance, live, profile, email):
    """A phone (persistent profile) signed in, with its caseload synced and the service worker in
    control, ready to go offline. Returns (context, page)."""
    context = open_persistent(playwright_instance, profile)
    page = context.new_page()
    sign_in(page, live, email)
    page.get_by_role("heading", name="My caseload").wait_for()
    header(page).filter(has_text="All sent").wait_for()
    wait_for_service_worker(page)
    return context, page


def header(page):
    return page.locator("#sync-state")


def record_offline_review(page, person, n, note=None):
    """Record a review with no signal; `n` is how many changes are then waiting to send."""
    page.get_by_role("link", name="Tandem").click()
    page.get_by_role("link", name=person).click()
    page.get_by_role("heading", name=person).wait_for()
    page.get_by_role("link", name="Record review").first.click()
    page.get_by_role("heading", name="Review:").wait_for()
    page.locator(".score-option", has_text="Done it").click()
    page.get_by_label("Not yet").check()  # a 5 asks whether the goal is achieved
    page.get_by_label("Evidence note 1").fill(note or f"Offline note {n}")
    page.get_by_role("button", name="Save review").click()
    page.get_by_role("heading", name=person).wait_for()
    header(page).filter(has_text=f"{n} change{'s' if n > 1 else ''} waiting to send").wait_for()


def test_offline_reviews_reach_the_server_exactly_once(live, playwright_instance, tmp_path):
    profile = tmp_path / "phone"
    context = open_persistent(playwright_instance, profile)
    page = context.new_page()
    errors = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    sign_in(page, live, "worker@demo.example")
    page.get_by_role("heading", name="My caseload").wait_for()
    header(page).filter(has_text="All sent").wait_for()
    wait_for_service_worker(page)
    with live.app.app_context():
        before = db.session.scalar(select(func.count()).select_from(Review))

    context.set_offline(True)
    for n in range(1, 11):
        record_offline_review(page, PEOPLE[(n - 1) % 3], n)

    # Reload with no signal: the app opens from the phone and still shows them as waiting.
    page.reload()
    header(page).filter(has_text="10 changes waiting to send").wait_for()
    expect(header(page)).to_contain_text("Saved on this phone — will send when there is signal")
    page.get_by_role("link", name="10 changes waiting to send").click()
    page.get_by_role("heading", name="Changes on this phone").wait_for()
    expect(page.get_by_role("heading", name="Waiting to sync (10)")).to_be_visible()
    with live.app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Review)) == before
    assert not errors, errors
    context.close()

    # The phone is switched off and on again: same storage, still offline, then the signal comes back.
    context = open_persistent(playwright_instance, profile, offline=True)
    page = context.pages[0] if context.pages else context.new_page()
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.goto(live.url + "/")
    # The app opens from the phone with the records still there. (Chromium's offline emulation does
    # not reach the service worker, whose Background Sync may already have sent them as the browser
    # started: then the header says so. Either way each record must reach the server once, below.)
    header(page).filter(has_text=re.compile(r"10 changes waiting to send|All sent")).wait_for()
    context.set_offline(False)
    header(page).filter(has_text="All sent").wait_for(timeout=30000)
    assert not errors, errors

    with live.app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Review)) == before + 10
        texts = db.session.execute(
            select(EvidenceNote.text, func.count()).where(EvidenceNote.text.like("Offline note %")).group_by(EvidenceNote.text)
        ).all()
        assert sorted(texts) == sorted((f"Offline note {n}", 1) for n in range(1, 11))
    context.close()
