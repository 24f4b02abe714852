"""The support worker's everyday screens on a 390 px phone (issue 17): the person page leads with
what is due, histories fold away, overdue actions say so, a 5 asks whether the goal is achieved,
the outcome form names an owner and warns about a fourth priority before it is sent (offline too),
the header says where the records are, and the inbox shows what is due now."""
from __future__ import annotations

import re
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from server.domain import measures
from server.domain.outcomes import quarter_of
from server.extensions import db
from server.models import Action, Outcome, Person, Review, Service
from tests.e2e.conftest import TIMEOUT_MS, axe_violations, sign_in

PHONE = {"width": 390, "height": 844}
LONDON = ZoneInfo("Europe/London")


@pytest.fixture
def phone(browser):
    ctx = browser.new_context(viewport=PHONE, locale="en-GB", timezone_id="Europe/London", service_workers="allow")
    ctx.set_default_timeout(TIMEOUT_MS)
    page = ctx.new_page()
    errors = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    yield ctx, page
    ctx.close()
    assert not errors, f"JavaScript errors on the page: {errors}"


def worker_on_sams_page(page, live):
    sign_in(page, live, "worker@demo.example")
    page.get_by_role("heading", name="My caseload").wait_for()
    page.locator("#sync-state", has_text="All sent").wait_for()
    page.get_by_role("link", name="Sam Taylor").click()
    page.get_by_role("heading", name="Sam Taylor", level=1).wait_for()


def sam_outcome(app, domain):
    with app.app_context():
        sam = db.session.execute(select(Person).where(Person.name == "Sam Taylor")).scalar_one()
        return db.session.execute(select(Outcome).where(Outcome.person_id == sam.id, Outcome.domain == domain)).scalar_one().id


def test_sams_page_leads_with_the_overdue_review_and_folds_histories(live, phone):
    _, page = phone
    worker_on_sams_page(page, live)
    main = page.locator("main")

    # The first primary button on the page is the review that is due, named with how late it is.
    first_primary = main.locator(".button.primary, button.primary").first
    expect(first_primary).to_have_text("Record review: Managing my own morning routine — 11 days overdue")
    expect(first_primary).to_have_attribute("href", f"/outcomes/{sam_outcome(live.app, 'Managing my own morning routine')}/review")
    # Each outcome's own review link names its goal: no three identical buttons.
    for domain in ("Confidence using buses", "Feeling safe with money", "Managing my own morning routine"):
        expect(main.locator("section.outcome").get_by_role("link", name=re.compile(rf"^Record review\W+{domain}$"))).to_have_count(1)

    # Histories start collapsed: past reviews and done actions are behind their summaries.
    histories = main.locator("details.history")
    expect(histories.first).to_be_visible()
    assert histories.count() >= 3
    assert page.evaluate("() => [...document.querySelectorAll('main details.history')].every((d) => !d.open)")
    expect(main.get_by_role("table", name="Reviews of “Confidence using buses”")).to_be_hidden()
    height = page.evaluate("() => document.documentElement.scrollHeight")
    assert height <= 3 * PHONE["height"], f"the page is {height} px tall, more than three screens"

    # Overdue actions say so, not "open"; the one done action is in the history.
    buses = main.locator("section.outcome", has=page.get_by_role("heading", name="Confidence using buses"))
    overdue_items = buses.locator(".actions-list li", has=page.locator(".tag.overdue"))
    expect(overdue_items.first).to_contain_text("Overdue")
    with live.app.app_context():
        late = db.session.execute(select(Action.description).join(Outcome).where(
            Outcome.domain == "Confidence using buses", Action.status == "open", Action.due_on < date.today())).scalars().all()
    assert late
    for description in late:
        expect(buses.locator(".actions-list li", has_text=description)).to_contain_text("Overdue")
        expect(buses.locator(".actions-list li", has_text=description).locator(".tag")).not_to_have_text("open")
    assert axe_violations(page) == []

    # Opening a history shows the chart and the table, and stays open when the page redraws.
    buses.get_by_text("Wellbeing and history: 12 reviews, 1 done action").click()
    buses.locator(".chart canvas").first.wait_for()
    expect(buses.get_by_role("table", name="Reviews of “Confidence using buses”").locator("tbody tr")).to_have_count(12)
    assert axe_violations(page) == []


def test_a_five_asks_whether_sam_achieved_it_offline_and_it_counts(live, phone):
    context, page = phone
    outcome_id = sam_outcome(live.app, "Confidence using buses")
    worker_on_sams_page(page, live)
    page.locator("section.outcome").get_by_role("link", name=re.compile(r"^Record review\W+Confidence using buses$")).click()
    page.get_by_role("heading", name="Review: Confidence using buses").wait_for()
    context.set_offline(True)

    # While rating, the form shows what we will see (the outcome's indicator).
    with live.app.app_context():
        indicator = db.session.get(Outcome, outcome_id).indicator
    facts = page.locator("main dl.facts")
    expect(facts).to_contain_text("We will see")
    expect(facts).to_contain_text(indicator)

    question = page.get_by_role("group", name="Has Sam achieved this goal?")
    expect(question).to_have_count(0)
    page.locator(".score-option", has_text="Done it").click()
    expect(question).to_be_visible()
    page.get_by_label("Evidence note 1").fill("Took the bus to college alone every day this month")
    page.get_by_role("button", name="Save review").click()
    expect(page.locator("#error-summary")).to_contain_text("Say whether Sam has achieved this goal.")
    assert axe_violations(page) == []
    question.get_by_label("Yes, achieved").check()
    page.get_by_role("button", name="Save review").click()
    page.get_by_role("heading", name="Sam Taylor", level=1).wait_for()
    expect(page.locator("#sync-state")).to_contain_text("Saved on this phone — will send when there is signal")
    with live.app.app_context():
        assert db.session.execute(select(Review).where(Review.outcome_id == outcome_id, Review.achieved.is_(True))).first() is None

    context.set_offline(False)
    page.locator("#sync-state", has_text="All sent").wait_for(timeout=30000)
    with live.app.app_context():
        review = db.session.execute(select(Review).where(Review.outcome_id == outcome_id).order_by(Review.happened_at.desc())).scalars().first()
        assert (review.score, review.achieved) == (5, True)
        assert db.session.get(Outcome, outcome_id).status == "achieved"
        sam = db.session.execute(select(Person).where(Person.name == "Sam Taylor")).scalar_one()
        service = db.session.get(Service, sam.service_id)
        result = measures.service_measures(service, *quarter_of(date.today()), with_trajectories=False)
        assert result["people_achieving_goal"] >= 1 and result["percent_achieving_goal"] > 0


def test_outcome_form_names_an_owner_and_warns_of_a_fourth_priority_offline(live, phone):
    context, page = phone
    worker_on_sams_page(page, live)
    context.set_offline(True)
    page.get_by_role("link", name="Define a new outcome").click()
    page.get_by_role("heading", name="Define an outcome").wait_for()

    owner = page.get_by_label("Who owns this outcome")
    expect(owner).to_have_value("me")
    page.get_by_label("Area that matters to them").fill("Cooking a meal for friends")
    page.get_by_label("In their own words").fill("I want to cook a curry for my mates.")
    page.get_by_label("What we will see, hear or measure").fill("Cooks a meal with a picture recipe, staff nearby")
    page.get_by_label("Participation in work, education, training or recreation").check()

    # Sam already has three priority outcomes: choosing Yes warns at once, before saving.
    page.get_by_label("One of their (up to three) priorities this quarter?").select_option("yes")
    warning = page.locator("#priority-warning")
    expect(warning).to_contain_text("Sam already has 3 priority outcomes in")
    expect(warning).to_contain_text("“Confidence using buses”")
    q = quarter_of(date.today())
    months = ["Jan–Mar", "Apr–Jun", "Jul–Sep", "Oct–Dec"][q[1] - 1]
    expect(warning).to_contain_text(f"{months} {q[0]}")
    assert axe_violations(page) == []
    page.get_by_role("button", name="Save outcome").click()
    expect(page.locator("#error-summary")).to_contain_text("Sam already has 3 priority outcomes")
    page.get_by_label("One of their (up to three) priorities this quarter?").select_option("no")
    expect(warning).to_have_count(0)

    owner.select_option("other")
    page.get_by_role("button", name="Save outcome").click()
    expect(page.locator("#error-summary")).to_contain_text("Name who owns it")
    page.get_by_label("Their name").fill("Brother, Kieran")
    page.get_by_role("button", name="Save outcome").click()
    page.get_by_role("heading", name="Sam Taylor", level=1).wait_for()
    section = page.locator("section.outcome", has=page.get_by_role("heading", name="Cooking a meal for friends"))
    expect(section.locator("dl.facts").first).to_contain_text("Owner")
    expect(section.locator("dl.facts").first).to_contain_text("Brother, Kieran")

    context.set_offline(False)
    page.locator("#sync-state", has_text="All sent").wait_for(timeout=30000)
    with live.app.app_context():
        outcome = db.session.execute(select(Outcome).where(Outcome.domain == "Cooking a meal for friends",
                                                           Outcome.persons_words.like("%curry%"))).scalar_one()
        assert (outcome.owner_kind, outcome.owner_name, outcome.owner_user_id, outcome.priority) == ("other", "Brother, Kieran", None, False)


def test_header_says_where_the_records_are(live, phone, browser):
    context, page = phone
    sign_in(page, live, "worker@demo.example")
    page.get_by_role("heading", name="My caseload").wait_for()
    header = page.locator("#sync-state")
    expect(header).to_have_text(re.compile(r"All sent · last sent \d{2}:\d{2}"))
    shown = re.search(r"last sent (\d{2}:\d{2})", header.inner_text()).group(1)
    now = datetime.now(LONDON)
    assert shown in {(now - timedelta(minutes=m)).strftime("%H:%M") for m in range(0, 3)}, shown
    assert axe_violations(page) == []

    # Offline, a change waits on the phone, and the header says so.
    context.set_offline(True)
    page.get_by_role("link", name="Sam Taylor").click()
    buses = page.locator("section.outcome", has=page.get_by_role("heading", name="Confidence using buses"))
    buses.get_by_role("button", name=re.compile(r"Mark done\W+Keep the bus pass in the wallet")).click()
    expect(header).to_contain_text("Saved on this phone — will send when there is signal")
    expect(header).to_contain_text("1 change waiting to send")
    expect(header).to_contain_text("Offline")
    assert axe_violations(page) == []
    context.set_offline(False)
    expect(header).to_have_text(re.compile(r"All sent · last sent \d{2}:\d{2}"), timeout=30000)

    # Read-only roles have no sync state in the header.
    for email, heading in (("commissioner@demo.example", "Services"), ("person@demo.example", "My goals")):
        other = browser.new_context(viewport=PHONE, locale="en-GB", service_workers="allow")
        p = other.new_page()
        sign_in(p, live, email)
        expect(p.get_by_role("heading", name=heading, level=1)).to_be_visible()
        expect(p.get_by_role("link", name="Tandem")).to_be_visible()
        p.wait_for_timeout(500)
        expect(p.locator("#sync-state")).to_have_count(0)
        other.close()


def test_inbox_shows_what_is_due_now_even_offline(live, phone):
    context, page = phone
    sign_in(page, live, "worker@demo.example")
    page.get_by_role("heading", name="My caseload").wait_for()
    page.locator("#sync-state", has_text="All sent").wait_for()
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Inbox").click()
    page.get_by_role("heading", name="Inbox").wait_for()
    due = page.locator("section", has=page.get_by_role("heading", name="Due now"))
    first = due.locator(".card").first
    expect(first).to_contain_text("Record review: Managing my own morning routine")
    expect(first).to_contain_text("Sam Taylor")
    expect(first).to_contain_text("11 days overdue")
    expect(due).to_contain_text("Overdue")
    expect(page.locator("main")).not_to_contain_text("No reminders yet")
    assert axe_violations(page) == []

    context.set_offline(True)
    page.get_by_role("link", name="My caseload").or_(page.get_by_role("link", name="Caseload")).first.click()
    page.get_by_role("heading", name="My caseload").wait_for()
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Inbox").click()
    page.get_by_role("heading", name="Inbox").wait_for()
    expect(due.locator(".card").first).to_contain_text("11 days overdue")
    expect(page.locator("main")).to_contain_text("Reminders need a signal.")
    due.locator(".card").first.click()
    page.get_by_role("heading", name="Review: Managing my own morning routine").wait_for()


def test_the_escalations_panel_arriving_late_moves_nothing_the_worker_may_tap(live, phone):
    """Sam's page draws from the phone at once; his escalations (and leadership's answers) come from
    the server later. When they arrive, the "Record review" link a worker is about to tap stays where
    it was: the panel goes below the outcomes, not above them."""
    context, page = phone
    held = []
    page.route("**/api/v1/people/*/escalations", lambda route: held.append(route))
    worker_on_sams_page(page, live)
    link = page.locator("section.outcome").get_by_role("link", name=re.compile(r"^Record review\W+Confidence using buses$"))
    expect(link).to_be_visible()
    before = link.bounding_box()
    for _ in range(300):  # the held request reaches its handler as Playwright dispatches events
        if held:
            break
        page.wait_for_timeout(100)
    assert held, "the page asked the server for Sam's escalations"
    assert link.bounding_box() == before
    for route in held:
        route.continue_()
    panel = page.locator(".person-escalations")
    expect(panel.get_by_role("heading", name=re.compile("^Escalations"))).to_be_visible()
    expect(panel).to_contain_text("Answered escalations (3)")
    assert link.bounding_box() == before
    assert axe_violations(page) == []
