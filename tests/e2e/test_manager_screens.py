"""The registered manager's and senior leader's screens on a 390 px phone: finding people, the
people with no active outcome, overdue reviews, service figures by complete quarter, and the
change page (for managers and commissioners)."""
from __future__ import annotations

import re
from datetime import date

import pytest
from playwright.sync_api import expect
from sqlalchemy import func, select

from server.extensions import db
from server.models import Change, ReviewAcknowledgement, Service
from tests.e2e.conftest import axe_violations, sign_in

MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]


@pytest.fixture
def phone(browser):
    ctx = browser.new_context(viewport={"width": 390, "height": 844}, locale="en-GB", service_workers="allow")
    page = ctx.new_page()
    errors = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    yield page
    ctx.close()
    assert not errors, errors


def no_axe(page):
    assert axe_violations(page) == []


def people_cards(page):
    return page.get_by_role("list", name="People").get_by_role("listitem")


def test_manager_finds_people_by_name_service_and_keyworker_even_offline(live, phone):
    page = phone
    sign_in(page, live, "manager@demo.example")
    expect(page.get_by_role("heading", level=1, name="People")).to_be_visible()
    expect(people_cards(page)).to_have_count(15)
    # Six people have nothing being worked towards: said first, and each one flagged.
    expect(page.get_by_text("6 people have no active outcome.")).to_be_visible()
    expect(page.locator(".card .flag")).to_have_count(6)
    expect(people_cards(page).first).to_contain_text("No active outcome")
    no_axe(page)

    page.get_by_label("Search by name").fill("sam")
    expect(people_cards(page)).to_have_count(1)
    expect(people_cards(page).first).to_contain_text("Sam Taylor")
    expect(page.get_by_role("status").filter(has_text="shown")).to_have_text("1 of 15 people shown")
    page.get_by_label("Search by name").fill("")

    page.get_by_label("Keyworker").select_option(label="Alex Morgan")
    expect(people_cards(page)).to_have_count(4)
    for name in ("Sam Taylor", "Priya Shah", "Jordan Lee", "Margaret Ellis"):
        expect(page.get_by_role("list", name="People")).to_contain_text(name)
    page.get_by_label("Keyworker").select_option(label="Anyone")

    # With no signal: the filters still work from what the phone holds.
    page.context.set_offline(True)
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Overdue", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    page.get_by_role("navigation", name="Main").get_by_role("link", name="People", exact=True).click()
    expect(page.get_by_label("Service")).to_be_visible()
    page.get_by_label("Service").select_option(label="Elm Court")
    expect(people_cards(page)).to_have_count(6)
    page.get_by_label("Only people with no active outcome").check()
    expect(people_cards(page)).to_have_count(6)
    page.get_by_label("Service").select_option(label="Oak House Supported Living")
    expect(people_cards(page)).to_have_count(0)
    expect(page.get_by_text("No one matches.")).to_be_visible()
    page.context.set_offline(False)


def test_overdue_reviews_can_be_acknowledged_on_a_phone(live, phone):
    page = phone
    sign_in(page, live, "manager@demo.example")
    expect(page.get_by_role("heading", level=1, name="People")).to_be_visible()
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Overdue", exact=True).click()
    button = page.get_by_role("button", name=re.compile(r"^Acknowledge Harold Price"))
    expect(button).to_be_visible()
    box = button.bounding_box()
    assert box["x"] >= 0 and box["x"] + box["width"] <= 390, box
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    no_axe(page)
    button.click()
    expect(page.get_by_role("listitem").filter(has_text="Harold Price")).to_contain_text("Seen by Bea Okafor")
    with live.app.app_context():
        assert db.session.execute(select(func.count()).select_from(ReviewAcknowledgement)).scalar_one() == 1


def last_complete_quarter(today: date) -> tuple[str, str]:
    """("Jul–Sep 2026", "Apr–Jun 2026") for a day in Oct–Dec 2026."""
    q = (today.month - 1) // 3
    year, q = (today.year, q - 1) if q else (today.year - 1, 3)
    prev_year, prev_q = (year, q - 1) if q else (year - 1, 3)
    label = lambda y, k: f"{MONTHS[3 * k]}–{MONTHS[3 * k + 2]} {y}"  # noqa: E731
    return label(year, q), label(prev_year, prev_q)


@pytest.mark.parametrize("email", ["manager@demo.example", "commissioner@demo.example"])
def test_service_figures_open_on_the_last_complete_quarter_with_the_one_before(live, phone, email):
    page = phone
    with live.app.app_context():
        service_id = db.session.execute(select(Service.id).where(Service.name == "Elm Court")).scalar_one()
    shown, before = last_complete_quarter(date.today())
    sign_in(page, live, email)
    expect(page.get_by_role("navigation", name="Main")).to_be_visible()
    page.goto(f"{live.url}/services/{service_id}")
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Elm Court: {shown}")
    expect(page.get_by_label("Quarter", exact=True)).to_have_value(re.compile(r"^\d{4}Q[1-4]$"))
    expect(page.get_by_text(f"Figures in brackets are for {before}.")).to_be_visible()
    expect(page.locator("table").first).to_contain_text("previous quarter:")
    # The unfinished quarter is offered, marked, and shows only months that have started.
    this = f"{MONTHS[(date.today().month - 1) // 3 * 3]}–{MONTHS[(date.today().month - 1) // 3 * 3 + 2]} {date.today().year}"
    page.get_by_label("Quarter", exact=True).select_option(label=f"{this} (so far)")
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Elm Court: {this}")
    expect(page.get_by_text("This quarter has not finished")).to_be_visible()
    text = page.locator("#main").inner_text()
    for month in range(date.today().month + 1, 13):
        assert f"Restrictive practices, {MONTHS[month - 1]} {date.today().year}" not in text
    assert f"Restrictive practices, {MONTHS[date.today().month - 1]} {date.today().year}" in text
    no_axe(page)


def test_senior_leader_has_feedback_in_the_navigation(live, phone):
    page = phone
    sign_in(page, live, "senior@demo.example")
    nav = page.get_by_role("navigation", name="Main")
    nav.get_by_role("link", name="Feedback").click()
    expect(page.get_by_role("heading", level=1, name="Feedback conversations")).to_be_visible()
    expect(nav.get_by_role("link", name="Feedback")).to_have_attribute("aria-current", "page")
    no_axe(page)


def change_id(app, description):
    with app.app_context():
        return db.session.execute(select(Change.id).where(Change.description == description)).scalar_one()


def test_change_page_reads_plainly_with_three_charts_and_the_theme_it_answers(live, phone):
    page = phone
    sign_in(page, live, "manager@demo.example")
    expect(page.get_by_role("navigation", name="Main")).to_be_visible()
    # Elm Court's weekly checks: one chart each for incidents, engagement and mood.
    page.goto(f"{live.url}/changes/{change_id(live.app, 'Quieter breakfast time (staggered, radio off)')}")
    expect(page.get_by_role("heading", level=1)).to_have_text("Quieter breakfast time (staggered, radio off)")
    first = page.locator(".summary").inner_text().strip()
    assert first.startswith("Incidents fell after the change") and "CI" not in first and len(first.split()) < 30, first
    for title in ("Incidents per week", "Engagement per week (1–5)", "Mood per week (1–5)"):
        expect(page.get_by_role("heading", level=2, name=title)).to_be_visible()
    expect(page.locator(".chart canvas")).to_have_count(3)
    labels = page.locator(".chart canvas").evaluate_all("cs => cs.map(c => c.getAttribute('aria-label'))")
    assert len(set(labels)) == 3, labels
    # The legend lists only the kinds of line drawn on the charts.
    legend = page.get_by_role("list", name="Lines on the charts").get_by_role("listitem")
    expect(legend.first).to_have_text("Start of this change")
    expect(legend).to_have_count(1 + page.locator(".notice", has_text="Other changes started").count())
    details = page.locator("details.methods")
    expect(details).not_to_have_attribute("open", "")
    details.locator("summary").click()
    expect(details).to_contain_text("Rate ratio of incidents per week")
    methods = details.inner_text()
    assert ".." not in methods and ".;" not in methods and "1-5" not in methods and "null" not in methods
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    no_axe(page)

    # Example Two: the change answers "Feeling rushed", and fewer rushed comments is the evidence.
    page.goto(f"{live.url}/changes/{change_id(live.app, 'Flexible arrival windows for morning calls')}")
    expect(page.get_by_role("heading", level=1)).to_have_text("Flexible arrival windows for morning calls")
    expect(page.locator(".lead")).to_contain_text("Riverside Home Care")
    first = page.locator(".summary").inner_text().strip()
    assert first.startswith("Feedback about “Feeling rushed” fell after the change") and len(first.split()) < 30, first
    expect(page.get_by_role("heading", name="Prompted by: Feeling rushed, Morning call timing")).to_be_visible()
    rushed = page.locator(".prompted p").filter(has_text="“Feeling rushed”")
    expect(rushed).to_contain_text(re.compile(r"80% \(8 of 10 reviewed\) in the 26 weeks before the change,\s+20% \(1 of 5 reviewed\) in the 26 weeks after"))
    expect(page.get_by_text("No weekly checks (incidents, engagement, mood) were recorded")).to_be_visible()
    expect(page.get_by_role("list", name="Lines on the charts")).to_have_count(0)
    no_axe(page)


def test_commissioner_sees_which_change_and_where_but_no_one_named(live, phone):
    page = phone
    cid = change_id(live.app, "Quieter breakfast time (staggered, radio off)")
    sign_in(page, live, "commissioner@demo.example")
    expect(page.get_by_role("navigation", name="Main")).to_be_visible()
    page.goto(f"{live.url}/changes/{cid}")
    expect(page.get_by_role("heading", level=1)).to_have_text("Quieter breakfast time (staggered, radio off)")
    expect(page.locator(".lead")).to_contain_text("Elm Court")
    expect(page.locator(".lead")).to_contain_text("Applies to the whole service.")
    for name in ("Ben Carter", "Lily Evans", "Residents"):
        expect(page.locator("#main")).not_to_contain_text(name)
    no_axe(page)
    page.get_by_role("link", name="← Changes").click()
    nav = page.get_by_role("navigation", name="Main")
    expect(nav.get_by_role("link", name="Changes")).to_have_attribute("aria-current", "page")
    expect(page.get_by_role("link", name=re.compile("Quieter breakfast time"))).to_be_visible()
    no_axe(page)


def test_long_lists_of_feedback_changes_and_accounts_show_every_row(live, phone, browser):
    """The feedback queue and the change log come 50 at a time with a "Show more" button that says
    how many more it showed and moves to the first of them; the Staff screen lists every account."""
    from datetime import datetime, timedelta, timezone

    from server.models import FeedbackConversation, Person, User, UserService

    with live.writing():
        person = db.session.execute(select(Person).where(Person.name == "Sam Taylor")).scalar_one()
        now = datetime.now(timezone.utc)
        for i in range(60):
            db.session.add(FeedbackConversation(person_id=person.id, happened_at=now - timedelta(hours=i),
                                                works_well="Tea together", feels_difficult=f"Paged note {i:02d}"))
            db.session.add(Change(service_id=person.service_id, description=f"Paged change {i:02d}", co_produced_with="Residents",
                                  starts_on=date.today() - timedelta(days=i % 7)))
        for i in range(210):
            user = User(organisation_id=person.organisation_id, email=f"paged{i:03d}@demo.example", name=f"Paged Worker {i:03d}",
                        role="support_worker", password_hash="x")
            db.session.add(user)
            db.session.flush()
            db.session.add(UserService(user_id=user.id, service_id=person.service_id))
        db.session.commit()
        unreviewed = db.session.execute(select(func.count()).select_from(FeedbackConversation).where(FeedbackConversation.reviewed_at.is_(None))).scalar()
        changes = db.session.execute(select(func.count()).select_from(Change)).scalar()
        accounts = db.session.execute(select(func.count()).select_from(User).where(User.organisation_id == person.organisation_id)).scalar()

    page = phone
    sign_in(page, live, "manager@demo.example")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Feedback").click()
    cards = page.get_by_role("list", name="Conversations").get_by_role("listitem")
    expect(cards).to_have_count(50)
    page.get_by_role("button", name="Show more conversations").click()
    expect(cards).to_have_count(unreviewed)
    expect(page.locator("#live")).to_have_text(f"{unreviewed - 50} more conversations shown: that is all of them.")
    expect(cards.nth(50).get_by_role("link")).to_be_focused()
    expect(page.get_by_role("button", name="Show more conversations")).to_have_count(0)
    no_axe(page)

    page.get_by_role("navigation", name="Main").get_by_role("link", name="Changes").click()
    cards = page.get_by_role("list", name="Changes").get_by_role("listitem")
    expect(cards).to_have_count(50)
    page.get_by_role("button", name="Show more changes").focus()  # from the keyboard
    page.keyboard.press("Enter")
    expect(cards).to_have_count(changes)
    expect(cards.nth(50).get_by_role("link")).to_be_focused()
    no_axe(page)

    admin = browser.new_context(viewport={"width": 390, "height": 844}, locale="en-GB").new_page()
    sign_in(admin, live, "admin@demo.example")
    admin.get_by_role("navigation", name="Main").get_by_role("link", name="Staff").click()
    expect(admin.get_by_text(re.compile(rf"^{accounts} accounts, \d+ active\.$"))).to_be_visible()
    expect(admin.get_by_role("list", name="Accounts").get_by_role("listitem")).to_have_count(accounts)
    admin.context.close()
