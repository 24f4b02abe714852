"""A worker signs in on a 360 px phone and sees their caseload with the next review due."""
from server.extensions import db
from server.models import AuditEvent
from tests.e2e.conftest import axe_violations, sign_in


def test_worker_signs_in_and_sees_caseload(live, page):
    page.goto(live.url + "/")
    page.wait_for_url("**/signin")
    assert axe_violations(page) == []
    sign_in(page, live, "worker@demo.example")
    page.get_by_role("heading", name="My caseload").wait_for()
    cards = page.locator(".card")
    cards.first.wait_for()
    names = cards.locator(".card-title").all_inner_texts()
    assert set(names) == {"Sam Taylor", "Priya Shah", "Jordan Lee", "Margaret Ellis"}
    text = page.locator("main").inner_text()
    assert "Review overdue by" in text and "Review due in" in text
    assert page.locator("#sync-state").inner_text().strip().endswith("All changes saved")
    assert axe_violations(page) == []
    with live.app.app_context():
        assert db.session.query(AuditEvent).filter_by(action="sign_in").count() == 1


def test_wrong_password_shows_an_error(live, page):
    sign_in(page, live, "worker@demo.example", "not-the-password")
    alert = page.get_by_role("alert")
    alert.wait_for()
    assert "do not match" in alert.inner_text()
    assert page.get_by_label("Email").input_value() == "worker@demo.example"
