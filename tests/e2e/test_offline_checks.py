"""Weekly checks (with the mood pictures) and feedback conversations captured with no signal reach
the server once; a second check for the same week is refused on the phone."""
from playwright.sync_api import expect
from sqlalchemy import func, select

from server.extensions import db
from server.models import FeedbackConversation, Person, WeeklyCheck
from tests.e2e.test_offline import phone_signed_in


def test_weekly_check_and_feedback_offline(live, playwright_instance, tmp_path):
    context, page = phone_signed_in(playwright_instance, live, tmp_path / "phone", "residential@demo.example")
    with live.app.app_context():
        ben = db.session.execute(select(Person).where(Person.name == "Ben Carter")).scalar_one()
        checks_before = db.session.scalar(select(func.count()).select_from(WeeklyCheck).where(WeeklyCheck.person_id == ben.id))

    context.set_offline(True)
    page.get_by_role("link", name="Ben Carter").click()
    page.get_by_role("link", name="Weekly check").click()
    page.get_by_role("heading", name="Weekly check").wait_for()
    page.get_by_label("Incidents this week").fill("1")
    page.locator("#f-engagement .score-option").nth(3).click()  # 4: Good
    page.locator("#f-mood .score-option").nth(3).click()  # 4: Happy
    page.get_by_label("What happened (context)").fill("Calmer mornings since the quieter breakfast")
    page.get_by_role("button", name="Save weekly check").click()
    page.get_by_role("heading", name="Ben Carter").wait_for()

    # The same week again is refused on the phone, naming the week.
    page.get_by_role("link", name="Weekly check").click()
    page.get_by_label("Incidents this week").fill("0")
    page.locator("#f-engagement .score-option").nth(3).click()  # 4: Good
    page.locator("#f-mood .score-option").nth(2).click()  # 3: OK
    page.get_by_role("button", name="Save weekly check").click()
    expect(page.locator("#error-summary")).to_contain_text("already a check")
    page.get_by_role("link", name="← Ben Carter").click()

    page.get_by_role("link", name="Feedback conversation").click()
    page.get_by_label("What works well?").fill("Breakfast is calm now")
    page.get_by_label("What feels difficult?").fill("Sometimes I feel rushed at bath time")
    page.get_by_role("button", name="Save conversation").click()
    page.get_by_role("heading", name="Ben Carter").wait_for()
    page.locator("#sync-state", has_text="2 changes waiting to send").wait_for()

    context.set_offline(False)
    page.locator("#sync-state", has_text="All sent").wait_for(timeout=30000)
    with live.app.app_context():
        checks = db.session.execute(select(WeeklyCheck).where(WeeklyCheck.person_id == ben.id)).scalars().all()
        assert len(checks) == checks_before + 1
        newest = max(checks, key=lambda c: c.week_of)
        assert (newest.incidents, newest.engagement, newest.mood) == (1, 4, 4)
        talks = db.session.execute(select(FeedbackConversation).where(FeedbackConversation.person_id == ben.id)).scalars().all()
        assert [t.feels_difficult for t in talks] == ["Sometimes I feel rushed at bath time"]
    context.close()
