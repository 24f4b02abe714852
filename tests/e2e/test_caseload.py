"""A worker signs in on a 360 px phone and sees their caseload with the next review due."""
import re

from playwright.sync_api import expect

from server.extensions import db
from server.models import AuditEvent
from tests.e2e.conftest import axe_violations, sign_in


def test_worker_signs_in_and_sees_caseload(live, page):
    page.goto(live.url + "/")
    page.wait_for_url("**/signin")
    assert axe_violations(page) == []
    sign_in(page, live, "worker@demo.example")
    expect(page.get_by_role("heading", name="My caseload")).to_be_visible()
    titles = page.locator(".card .card-title")
    expect(titles).to_have_count(4)
    assert set(titles.all_inner_texts()) == {"Sam Taylor", "Priya Shah", "Jordan Lee", "Margaret Ellis"}
    expect(page.locator("main")).to_contain_text("Review overdue by")
    expect(page.locator("main")).to_contain_text("Review due in")
    expect(page.locator("#sync-state")).to_have_text(re.compile(r"All sent · last sent \d{2}:\d{2}\s*$"))
    assert axe_violations(page) == []
    with live.app.app_context():
        assert db.session.query(AuditEvent).filter_by(action="sign_in").count() == 1


def test_wrong_password_shows_an_error(live, page):
    sign_in(page, live, "worker@demo.example", "not-the-password")
    expect(page.get_by_role("alert")).to_contain_text("do not match")
    expect(page.get_by_label("Email")).to_have_value("worker@demo.example")


def test_a_menu_choice_made_while_the_first_sync_runs_is_kept(live, page):
    """Right after signing in, the menu shows while the phone fetches its first copy. A tap on it
    then must not be undone when that sync ends and the app would open the start screen."""
    held = []
    page.route("**/api/v1/sync/pull*", lambda route: held.append(route))
    sign_in(page, live, "admin@demo.example")
    staff = page.get_by_role("navigation", name="Main").get_by_role("link", name="Staff")
    expect(staff).to_be_visible()
    for _ in range(600):
        if held:
            break
        page.wait_for_timeout(50)
    assert held, "the first sync's pull was asked for"
    staff.click()
    expect(page.get_by_role("heading", name="Staff", exact=True)).to_be_visible()
    for route in held:
        route.continue_()
    page.unroute("**/api/v1/sync/pull*")
    page.locator("#sync-state", has_text="All sent").wait_for()
    page.wait_for_timeout(500)  # the jump to the start screen would have happened by now
    expect(page.get_by_role("heading", name="Staff", exact=True)).to_be_visible()
    assert page.url.endswith("/staff")
    assert axe_violations(page) == []
