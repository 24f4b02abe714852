"""Accounts in a real browser: an admin adds a support worker and hands over the one-time link; the
worker sets a password on their phone (a common one is refused) and signs in; the admin deactivates
them and their phone is signed out and wiped. Then the database is checked."""
from __future__ import annotations

import re

from playwright.sync_api import expect
from sqlalchemy import func, select
from werkzeug.security import check_password_hash

from server.extensions import db
from server.models import AuthSession, Invitation, Service, User
from tests.e2e.conftest import TIMEOUT_MS, axe_violations, sign_in

GOOD = "plum tractor lantern"
PHONE = {"width": 320, "height": 720}


def new_phone(browser):
    context = browser.new_context(viewport=PHONE, locale="en-GB")
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()
    errors = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    return context, page, errors


def idb_counts(page):
    return page.evaluate("""async () => {
        const db = await new Promise((ok, fail) => { const r = indexedDB.open('tandem'); r.onsuccess = () => ok(r.result); r.onerror = fail; });
        const count = (name) => new Promise((ok) => { const q = db.transaction(name).objectStore(name).count(); q.onsuccess = () => ok(q.result); });
        return { people: await count('people'), outcomes: await count('outcomes'), meta: await count('meta') };
    }""")


def test_admin_adds_a_worker_who_sets_a_password_signs_in_and_is_deactivated(live, browser, context, page):
    context.grant_permissions(["clipboard-read", "clipboard-write"], origin=live.url)
    page.set_viewport_size(PHONE)
    sign_in(page, live, "admin@demo.example")
    expect(page.get_by_role("heading", name="Organisation")).to_be_visible()
    page.get_by_role("link", name="Staff", exact=True).click()
    expect(page.get_by_role("heading", name="Staff", exact=True)).to_be_visible()

    page.get_by_text("Add an account").click()
    page.get_by_role("button", name="Add account and make a link").click()  # empty: every field is named
    expect(page.get_by_role("alert").filter(has_text="There is a problem")).to_be_visible()
    page.get_by_label("Name").fill("Pat Newman")
    page.get_by_label("Email").fill("pat.newman@demo.example")
    expect(page.get_by_label("Role")).to_have_value("support_worker")
    page.get_by_label("Oak House Supported Living").check()
    page.get_by_role("button", name="Add account and make a link").click()

    panel = page.get_by_role("region", name="One-time link for Pat Newman")
    expect(panel).to_be_visible()
    expect(panel.get_by_role("img", name="QR code of the link for Pat Newman")).to_be_visible()
    link = panel.get_by_role("textbox", name="One-time link").input_value()
    assert re.fullmatch(re.escape(live.url) + r"/invite/[A-Za-z0-9_-]{43}", link)
    panel.get_by_role("button", name="Copy link").click()
    expect(panel.get_by_text("Link copied.")).to_be_visible()
    assert page.evaluate("navigator.clipboard.readText()") == link
    assert axe_violations(page) == []
    expect(page.locator(".card", has_text="pat.newman@demo.example")).to_contain_text("Invited: link works until")

    # the worker's phone, signed out
    phone, worker, errors = new_phone(browser)
    worker.goto(link)
    expect(worker.get_by_role("heading", name="Set your password")).to_be_visible()
    expect(worker.get_by_text("Pat Newman")).to_be_visible()
    assert axe_violations(worker) == []
    worker.get_by_label("Password", exact=True).fill("password1234")
    worker.get_by_role("button", name="Set password").click()
    expect(worker.locator(".field-error")).to_contain_text("one of the most common passwords")
    expect(worker.get_by_label("Password", exact=True)).to_have_attribute("aria-invalid", "true")
    assert axe_violations(worker) == []
    worker.get_by_label("Password", exact=True).fill(GOOD)
    worker.get_by_role("button", name="Set password").click()
    expect(worker.get_by_text("Your password is set.")).to_be_visible()
    worker.get_by_role("link", name="Sign in").click()
    worker.get_by_label("Email").fill("pat.newman@demo.example")
    worker.get_by_label("Password").fill(GOOD)
    worker.get_by_role("button", name="Sign in").click()
    expect(worker.get_by_role("heading", name="My caseload")).to_be_visible()
    expect(worker.get_by_text("No one is on your caseload")).to_be_visible()
    expect(worker.locator("#sync-state")).to_contain_text("All sent")

    with live.app.app_context():
        user = db.session.execute(select(User).where(User.email == "pat.newman@demo.example")).scalar_one()
        oak = db.session.execute(select(Service).where(Service.name == "Oak House Supported Living")).scalar_one()
        assert (user.name, user.role, user.active) == ("Pat Newman", "support_worker", True)
        assert [s.id for s in user.services] == [oak.id]
        assert check_password_hash(user.password_hash, GOOD)
        invitation = db.session.execute(select(Invitation).where(Invitation.user_id == user.id)).scalar_one()
        assert invitation.used_at is not None and link.rsplit("/", 1)[1] not in invitation.token_hash
        user_id = user.id

    # the admin deactivates the account
    page.get_by_role("button", name="Done").click()
    page.once("dialog", lambda dialog: dialog.accept())
    page.locator(".card", has_text="pat.newman@demo.example").get_by_role("button", name="Deactivate").click()
    expect(page.get_by_text("Pat Newman is deactivated and signed out everywhere.")).to_be_visible()
    expect(page.locator(".card", has_text="pat.newman@demo.example")).to_contain_text("Deactivated")

    # the worker's next request (a sync) signs them out and wipes the phone
    worker.evaluate("window.dispatchEvent(new Event('online'))")
    expect(worker.get_by_role("heading", name="Sign in")).to_be_visible()
    expect(worker.get_by_text("This account has been deactivated")).to_be_visible()
    assert idb_counts(worker)["meta"] == 0
    with live.app.app_context():
        assert db.session.get(User, user_id).active is False
        assert db.session.scalar(select(func.count()).select_from(AuthSession).where(
            AuthSession.user_id == user_id, AuthSession.revoked_at.is_(None))) == 0
    assert errors == []
    phone.close()


def test_a_deactivated_workers_phone_deletes_their_caseload(live, browser):
    phone, worker, errors = new_phone(browser)
    sign_in(worker, live, "worker@demo.example")
    expect(worker.get_by_role("heading", name="My caseload")).to_be_visible()
    expect(worker.locator(".card").first).to_be_visible()
    assert idb_counts(worker)["people"] > 0

    admin_context, admin, _ = new_phone(browser)
    sign_in(admin, live, "admin@demo.example")
    admin.get_by_role("link", name="Staff", exact=True).click()
    admin.once("dialog", lambda dialog: dialog.accept())
    admin.locator(".card", has_text="worker@demo.example").get_by_role("button", name="Deactivate").click()
    expect(admin.locator(".card", has_text="worker@demo.example")).to_contain_text("Deactivated")

    worker.reload()
    expect(worker.get_by_role("heading", name="Sign in")).to_be_visible()
    expect(worker.get_by_text("This account has been deactivated")).to_be_visible()
    assert idb_counts(worker) == {"people": 0, "outcomes": 0, "meta": idb_counts(worker)["meta"]}
    assert idb_counts(worker)["meta"] <= 1  # at most a fresh device id; no user, no cursor
    assert errors == []
    admin_context.close()
    phone.close()


def test_changing_my_password_with_the_keyboard(live, page):
    page.set_viewport_size(PHONE)
    sign_in(page, live, "manager@demo.example")
    expect(page.get_by_role("heading", name="People")).to_be_visible()
    page.get_by_role("link", name="My account").click()
    expect(page.get_by_role("heading", name="My account")).to_be_visible()
    assert axe_violations(page) == []
    page.get_by_label("Current password").focus()
    page.keyboard.type("demo-password")
    page.keyboard.press("Tab")
    page.keyboard.type("iloveyou1234")
    page.keyboard.press("Enter")
    expect(page.locator(".field-error")).to_contain_text("common password")
    page.get_by_label("New password").fill("")
    page.get_by_label("New password").focus()
    page.keyboard.type(GOOD)
    page.keyboard.press("Enter")
    expect(page.get_by_text("Your password is changed.")).to_be_visible()
    assert axe_violations(page) == []
    with live.app.app_context():
        user = db.session.execute(select(User).where(User.email == "manager@demo.example")).scalar_one()
        assert check_password_hash(user.password_hash, GOOD)
    # still signed in here
    page.get_by_role("link", name="Feedback").click()
    expect(page.get_by_role("heading", name="Feedback")).to_be_visible()


def test_admin_adds_and_renames_a_service_with_the_keyboard(live, page):
    page.set_viewport_size(PHONE)
    sign_in(page, live, "admin@demo.example")
    expect(page.get_by_role("heading", name="Organisation")).to_be_visible()
    page.get_by_label("Service name").focus()
    page.keyboard.type("Maple Lodge")
    page.keyboard.press("Tab")
    page.keyboard.press("End")  # the last kind: residential care
    expect(page.get_by_label("Kind of service")).to_have_value("residential")
    page.keyboard.press("Tab")
    page.keyboard.press("Enter")
    card = page.locator(".card", has_text="Maple Lodge")
    expect(card).to_contain_text("Residential care · 0 people supported")
    card.get_by_role("button", name="Rename").focus()
    page.keyboard.press("Enter")
    expect(page.get_by_label("Name", exact=True)).to_be_focused()
    page.keyboard.press("Control+A")
    page.keyboard.type("Maple House")
    page.keyboard.press("Enter")
    expect(page.locator(".card", has_text="Maple House")).to_be_visible()
    assert axe_violations(page) == []
    with live.app.app_context():
        service = db.session.execute(select(Service).where(Service.name == "Maple House")).scalar_one()
        assert service.kind == "residential"


def test_focus_on_a_new_pages_heading_is_quiet_but_controls_show_it(live, page):
    sign_in(page, live, "manager@demo.example")
    expect(page.get_by_role("heading", name="People")).to_be_visible()
    page.get_by_role("link", name="Feedback").focus()
    page.keyboard.press("Enter")  # a keyboard user follows a link
    heading = page.get_by_role("heading", name="Feedback", level=1)
    expect(heading).to_be_focused()
    style = heading.evaluate("h => { const s = getComputedStyle(h); return [s.outlineStyle, s.boxShadow]; }")
    assert style == ["none", "none"]
    page.keyboard.press("Tab")
    ring = page.evaluate("() => { const s = getComputedStyle(document.activeElement); return [document.activeElement.tagName, s.outlineStyle]; }")
    assert ring[0] in {"A", "BUTTON", "SELECT", "INPUT"} and ring[1] == "solid"
