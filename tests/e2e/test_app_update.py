"""Updates and Background Sync in a real Chromium: a changed client file is picked up as a new
version that waits for the user's "Update", fetching only what changed; and with the app closed,
the service worker itself sends the outbox when the signal returns."""
import shutil

from flask import request
from playwright.sync_api import expect
from sqlalchemy import func, select

from server import precache
from server.extensions import db
from server.models import EvidenceNote, Review
from server.routes import client as client_routes
from tests.e2e.conftest import axe_violations, sign_in
from tests.e2e.test_offline import header, record_offline_review, wait_for_service_worker

REGISTRATION = "() => navigator.serviceWorker.getRegistration()"


def served_from_copy(live, tmp_path, monkeypatch):
    """The live server serves a copy of client/, so the test can change a file as a deploy would;
    it notes every URL asked for."""
    copy = tmp_path / "client"
    shutil.copytree(client_routes.CLIENT, copy)
    monkeypatch.setattr(precache, "CLIENT", copy)
    monkeypatch.setattr(client_routes, "CLIENT", copy)
    asked = []
    live.app.before_request(lambda: asked.append(request.full_path.rstrip("?")))
    return copy, asked


def test_a_new_version_waits_until_the_user_taps_update(live, context, tmp_path, monkeypatch):
    copy, asked = served_from_copy(live, tmp_path, monkeypatch)
    page = context.new_page()
    errors = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    sign_in(page, live, "worker@demo.example")
    expect(page.get_by_role("heading", name="My caseload")).to_be_visible()
    wait_for_service_worker(page)
    # The first install fetched every file once, by its content hash.
    first = [u for u in asked if "?v=" in u]
    assert len(first) == len(precache.manifest())

    # A deploy changes one screen's text.
    caseload = copy / "js" / "views" / "caseload.js"
    assert "My caseload" in caseload.read_text()
    caseload.write_text(caseload.read_text().replace("My caseload", "My people this week"))
    changed = f"/static/js/views/caseload.js?v={precache.revision('/static/js/views/caseload.js')}"
    asked.clear()

    page.evaluate(f"async () => {{ const reg = await ({REGISTRATION})(); await reg.update(); }}")
    expect(page.get_by_role("button", name="Update now")).to_be_visible()
    expect(page.get_by_text("Update available.")).to_be_visible()
    # Only the changed file was fetched; every unchanged one came from the cache it was in.
    assert [u for u in asked if "?v=" in u] == [changed]
    assert axe_violations(page) == []

    # Until the user chooses, the running version stays: a reload still shows the old screen.
    page.reload()
    expect(page.get_by_role("heading", name="My caseload")).to_be_visible()
    expect(page.get_by_role("button", name="Update now")).to_be_visible()

    page.get_by_role("button", name="Update now").click()
    expect(page.get_by_role("heading", name="My people this week")).to_be_visible()
    expect(page.get_by_role("button", name="Update now")).to_have_count(0)
    # Opened again later, the app is the new version, from the phone.
    context.set_offline(True)
    page.reload()
    expect(page.get_by_role("heading", name="My people this week")).to_be_visible()
    assert not errors, errors


def test_a_version_the_browser_activates_by_itself_still_loads_on_update(live, context, tmp_path, monkeypatch):
    """Chromium may activate a waiting version without the user, for example while the only window
    reloads. The page then runs the old code under the new worker: it never reloads by itself, and
    "Update now" must still bring the new version."""
    copy, _ = served_from_copy(live, tmp_path, monkeypatch)
    page = context.new_page()
    errors = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    sign_in(page, live, "worker@demo.example")
    expect(page.get_by_role("heading", name="My caseload")).to_be_visible()
    wait_for_service_worker(page)
    caseload = copy / "js" / "views" / "caseload.js"
    caseload.write_text(caseload.read_text().replace("My caseload", "My people this week"))
    page.evaluate(f"async () => {{ const reg = await ({REGISTRATION})(); await reg.update(); }}")
    expect(page.get_by_role("button", name="Update now")).to_be_visible()

    # The browser, not the app, lets the waiting version take over.
    page.evaluate(f"""async () => {{
        const reg = await ({REGISTRATION})();
        const worker = reg.waiting;
        const active = new Promise((ok) => worker.addEventListener("statechange", () => worker.state === "activated" && ok()));
        worker.postMessage({{ type: "SKIP_WAITING" }});
        await active;
    }}""")
    page.wait_for_function("async () => !(await navigator.serviceWorker.getRegistration()).waiting")
    # The old screen stays until the user chooses, and the offer stays too.
    expect(page.get_by_role("heading", name="My caseload")).to_be_visible()
    expect(page.get_by_role("button", name="Update now")).to_be_visible()

    page.get_by_role("button", name="Update now").click()
    expect(page.get_by_role("heading", name="My people this week")).to_be_visible()
    expect(page.get_by_role("button", name="Update now")).to_have_count(0)
    assert not errors, errors


def test_with_the_app_closed_the_worker_sends_the_outbox(live, context):
    page = context.new_page()
    errors = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    sign_in(page, live, "worker@demo.example")
    expect(page.get_by_role("heading", name="My caseload")).to_be_visible()
    header(page).filter(has_text="All sent").wait_for()
    wait_for_service_worker(page)
    with live.app.app_context():
        before = db.session.scalar(select(func.count()).select_from(Review))

    context.set_offline(True)
    record_offline_review(page, "Sam Taylor", 1, note="Sent by the worker")
    # Saving with no signal asked the browser for a Background Sync.
    tags = page.evaluate(f"async () => (await (await ({REGISTRATION})()).sync.getTags())")
    assert "tandem-outbox" in tags
    assert not errors, errors

    # The app is closed; then the signal returns and the browser wakes the worker.
    origin = live.url
    blank = context.new_page()
    page.close()
    context.set_offline(False)
    cdp = context.new_cdp_session(blank)
    registrations = []
    cdp.on("ServiceWorker.workerRegistrationUpdated", lambda e: registrations.extend(e["registrations"]))
    cdp.send("ServiceWorker.enable")
    for _ in range(50):
        if any(r["scopeURL"].startswith(origin) for r in registrations):
            break
        blank.wait_for_timeout(100)
    registration = next(r for r in registrations if r["scopeURL"].startswith(origin) and not r.get("isDeleted"))
    cdp.send("ServiceWorker.dispatchSyncEvent", {
        "origin": origin, "registrationId": registration["registrationId"], "tag": "tandem-outbox", "lastChance": False,
    })

    for _ in range(150):
        with live.app.app_context():
            sent = db.session.scalar(select(func.count()).select_from(EvidenceNote).where(EvidenceNote.text == "Sent by the worker"))
        if sent:
            break
        blank.wait_for_timeout(100)
    with live.app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Review)) == before + 1
        assert db.session.scalar(select(func.count()).select_from(EvidenceNote).where(EvidenceNote.text == "Sent by the worker")) == 1

    # Opened again, the phone knows: nothing is waiting.
    page = context.new_page()
    page.goto(live.url + "/")
    header(page).filter(has_text="All sent").wait_for()
    page.get_by_role("link", name="All sent").click()
    expect(page.get_by_role("heading", name="Changes on this phone")).to_be_visible()
    expect(page.get_by_role("heading", name="Waiting to sync")).to_have_count(0)
