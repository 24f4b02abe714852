"""The person supported, on their own screens and on the worker's phone (hand-over), at phone sizes:
"My goals" (Then → Now side by side, what happens next in their words, "Done it", "You said, we
did"), pictures distinct in shape, "Not sure / skip", mood and satisfaction by hand-over, and
Example Two's evidence (complaints, compliments, satisfaction) on the staff screens."""
from __future__ import annotations

import re
from datetime import date, timedelta

from playwright.sync_api import expect
from sqlalchemy import select

from server.extensions import db
from server.models import FeedbackConversation, Person, ServiceEvent, WeeklyCheck
from tests.e2e.conftest import TIMEOUT_MS, axe_violations, sign_in


def _stored(live, page, query):
    """The one row `query` finds, once the phone has sent it: the header says all is sent, and the
    row is in the database (polled, as the send finishes in the background)."""
    page.locator("#sync-state", has_text="All sent").wait_for()
    for _ in range(TIMEOUT_MS // 100):
        with live.app.app_context():
            row = db.session.execute(query).scalar_one_or_none()
            if row is not None:
                db.session.expunge(row)
                return row
        page.wait_for_timeout(100)
    raise AssertionError("the record never reached the server")


def _person_id(app, name):
    with app.app_context():
        return db.session.execute(select(Person.id).where(Person.name == name)).scalar_one()


def _sam_context(browser, width, zoom=1.0):
    """A phone `width` CSS pixels wide at `zoom` (200 % zoom halves the CSS width)."""
    ctx = browser.new_context(viewport={"width": int(width / zoom), "height": int(800 / zoom)},
                              device_scale_factor=zoom, locale="en-GB", service_workers="allow")
    ctx.set_default_timeout(TIMEOUT_MS)
    return ctx


def _then_now_layout(page):
    return page.evaluate("""() => [...document.querySelectorAll('.then-now')].filter((g) => g.children.length === 3).map((g) => {
        const [then, arrow, now] = [...g.children].map((c) => c.getBoundingClientRect());
        const pic = g.querySelector('figure .picture').getBoundingClientRect();
        return {thenTop: then.top, nowTop: now.top, thenRight: then.right, arrowLeft: arrow.left, arrowRight: arrow.right,
                nowLeft: now.left, arrowMid: (arrow.top + arrow.bottom) / 2, picTop: pic.top, picBottom: pic.bottom, picWidth: pic.width};
    })""")


def _check_goals_layout(page):
    layouts = _then_now_layout(page)
    assert len(layouts) == 3, layouts  # Sam's three goals each have a Then and a Now
    for g in layouts:
        assert abs(g["thenTop"] - g["nowTop"]) < 2, g  # side by side: "Now" does not drop below
        assert g["thenRight"] <= g["arrowLeft"] and g["arrowRight"] <= g["nowLeft"], g  # the arrow is between them
        assert g["picTop"] <= g["arrowMid"] <= g["picBottom"], g  # ... and points from picture to picture
        assert g["picWidth"] >= 40, g
    # No empty band above each card's heading, and nothing wider than the screen.
    gaps = page.evaluate("""() => [...document.querySelectorAll('ul.goals > li.goal')].slice(0, 3).map((li) =>
        li.querySelector('h2').getBoundingClientRect().top - li.getBoundingClientRect().top - parseFloat(getComputedStyle(li).paddingTop))""")
    assert all(-1 <= gap <= 2 for gap in gaps), gaps
    # Nothing spills out of a card, and the page does not scroll sideways.
    assert page.evaluate("""() => [...document.querySelectorAll('.then-now')].every((g) =>
        g.scrollWidth <= g.clientWidth + 1 && g.getBoundingClientRect().right <= g.closest('li.goal').getBoundingClientRect().right)""")
    assert page.evaluate("() => document.scrollingElement.scrollWidth <= document.scrollingElement.clientWidth + 1")


def test_then_and_now_side_by_side_at_320_px_and_at_200_percent_zoom(live, browser):
    """At 320 px; at 390 px with the text at 200 % (WCAG 1.4.4); and at 640 px at 200 % page zoom
    (a 1280 px window zoomed in: the app's layout width halves)."""
    for width, zoom, text in ((320, 1.0, "100%"), (390, 1.0, "200%"), (1280, 2.0, "100%")):
        ctx = _sam_context(browser, width, zoom)
        page = ctx.new_page()
        sign_in(page, live, "person@demo.example")
        expect(page.get_by_role("heading", name="My goals", exact=True)).to_be_visible()
        expect(page.locator(".then-now").first).to_be_visible()
        page.evaluate("(size) => { document.documentElement.style.fontSize = size; }", text)
        _check_goals_layout(page)
        assert axe_violations(page) == [], (width, zoom, text)
        ctx.close()


def test_what_happens_next_is_current_and_worded_for_the_person(live, page):
    sign_in(page, live, "person@demo.example")
    money = page.locator("li.goal", has=page.get_by_role("heading", name="Feeling safe with money"))
    mornings = page.locator("li.goal", has=page.get_by_role("heading", name="Managing my own morning routine"))
    buses = page.locator("li.goal", has=page.get_by_role("heading", name="Confidence using buses"))
    expect(money.locator(".next-actions")).to_contain_text("Alex will help you count the change together at the Co-op on Saturday.")
    expect(mornings.locator(".next-actions")).to_contain_text("You will put your clothes out the night before.")
    # Actions due months ago are not "what happens next"; nor is the old "Who helps: You." wording.
    main = page.locator("main")
    expect(main).not_to_contain_text("Keep the bus pass in the wallet")
    expect(main).not_to_contain_text("Who helps")
    expect(buses.locator(".next-actions")).to_have_count(0)
    expect(money.locator(".next-review")).to_contain_text(re.compile(r"Your next review is on \d{1,2} [A-Z][a-z]{2,3} \d{4}\."))
    expect(mornings.locator(".next-review")).to_have_text("Your review is due now.")
    assert axe_violations(page) == []


def test_done_it_is_celebrated_and_you_said_we_did_is_shown(live, page):
    sign_in(page, live, "person@demo.example")
    buses = page.locator("li.goal", has=page.get_by_role("heading", name="Confidence using buses"))
    expect(buses.locator(".celebrate")).to_contain_text("You did it, Sam!")
    expect(buses.get_by_role("heading", name="Choose a new goal with Alex")).to_be_visible()
    money = page.locator("li.goal", has=page.get_by_role("heading", name="Feeling safe with money"))
    expect(money.locator(".celebrate")).to_have_count(0)
    said = page.locator("section.you-said")
    expect(said.get_by_role("heading", name="You said, we did")).to_be_visible()
    expect(said).to_contain_text("“I don't get to choose who comes with me to town.”")
    expect(said).to_contain_text("You choose who supports you on trips out, on the weekly rota sheet.")
    assert axe_violations(page) == []


def _picture_shapes(page, selector):
    """Each picture's drawing with its colours taken out: what is left is its shape."""
    return page.evaluate("""(sel) => [...document.querySelectorAll(sel)].map((svg) => {
        const copy = svg.cloneNode(true);
        copy.querySelectorAll('*').forEach((e) => { e.removeAttribute('fill'); e.removeAttribute('stroke'); });
        copy.removeAttribute('data-level');
        return copy.innerHTML.replace(/<!--[^>]*-->/g, '').replace(/\\s+/g, ' ');
    })""", selector)


def test_handover_pictures_differ_in_shape_and_not_sure_skips(live, page):
    sign_in(page, live, "worker@demo.example")
    page.get_by_role("heading", name="My caseload").wait_for()
    with live.app.app_context():
        from server.models import Outcome
        outcome_id = db.session.execute(select(Outcome.id).join(Person, Person.id == Outcome.person_id).where(
            Person.name == "Sam Taylor", Outcome.domain == "Managing my own morning routine")).scalar_one()
    page.goto(f"{live.url}/outcomes/{outcome_id}/review")
    page.get_by_role("link", name="Hand the phone to Sam").click()
    expect(page.get_by_role("heading", name="How is it going?")).to_be_visible()
    shapes = _picture_shapes(page, ".picture-choices .picture-choice:not(.skip) svg")
    assert len(shapes) == 5 and len(set(shapes)) == 5  # five different shapes, not five shadings of one
    assert axe_violations(page) == []
    page.get_by_role("button", name="Not sure / skip").click()
    expect(page.get_by_role("heading", name="That's fine, Sam. Please give the phone back.")).to_be_visible()
    page.get_by_role("button", name="Back to the form").click()
    expect(page.get_by_role("heading", name=re.compile("^Review:"))).to_be_visible()
    expect(page.locator("main")).to_contain_text("Sam was not sure and skipped the pictures.")
    expect(page.locator('input[name="score"]:checked')).to_have_count(0)


def test_mood_chosen_by_the_person_in_the_weekly_check(live, page):
    ben = _person_id(live.app, "Ben Carter")
    with live.app.app_context():
        taken = set(db.session.execute(select(WeeklyCheck.week_of).where(WeeklyCheck.person_id == ben)).scalars())
    monday = date.today() - timedelta(days=date.today().weekday())
    free = next(monday - timedelta(weeks=k) for k in range(0, 104) if monday - timedelta(weeks=k) not in taken)
    sign_in(page, live, "residential@demo.example")
    page.get_by_role("heading", name="My caseload").wait_for()
    page.goto(f"{live.url}/people/{ben}/checks/new")
    page.get_by_label("Week starting (Monday)").fill(free.isoformat())
    page.get_by_role("button", name="Hand the phone to Ben to choose their mood").click()
    expect(page.get_by_role("heading", name="How have you felt this week?")).to_be_visible()
    # The very sad face is sad, not cross: its brows rise towards the middle, and it has a tear.
    brows = page.evaluate("""() => [...document.querySelectorAll('.picture-choice')][0].querySelectorAll('svg path')[0].getAttribute('d')""")
    outer_y, inner_y = (float(n) for n in re.match(r"M\d+ (\d+) Q\S+ \S+ \d+ (\d+)", brows).groups())
    assert inner_y < outer_y, brows
    assert len(set(_picture_shapes(page, ".picture-choices .picture-choice:not(.skip) svg"))) == 5
    page.get_by_role("button", name=re.compile("^Happy")).click()
    page.get_by_role("button", name="Yes, that's right").click()
    page.get_by_role("button", name="Ben chose on their own").click()
    expect(page.get_by_role("heading", name="Weekly check")).to_be_visible()
    expect(page.locator("main")).to_contain_text("Ben chose this on their own: Happy.")
    expect(page.locator('input[name="mood"][value="4"]')).to_be_checked()
    page.locator('label.score-option', has=page.locator('input[name="engagement"][value="3"]')).click()
    assert axe_violations(page) == []
    page.get_by_role("button", name="Save weekly check").click()
    check = _stored(live, page, select(WeeklyCheck).where(WeeklyCheck.person_id == ben, WeeklyCheck.week_of == free))
    assert (check.mood, check.engagement) == (4, 3)


def test_satisfaction_by_hand_over_in_a_feedback_conversation(live, page):
    margaret = _person_id(live.app, "Margaret Ellis")
    sign_in(page, live, "worker@demo.example")
    page.get_by_role("heading", name="My caseload").wait_for()
    page.goto(f"{live.url}/people/{margaret}/feedback/new")
    page.get_by_label("What works well?").fill("Fran waits while I find my keys.")
    page.get_by_role("button", name="Hand the phone to Margaret to answer").click()
    expect(page.get_by_role("heading", name="How happy are you with your support?")).to_be_visible()
    expect(page.locator("main")).not_to_contain_text("Fran waits")  # the worker's notes are not on the person's screen
    page.get_by_role("button", name=re.compile("^Very happy")).click()
    page.get_by_role("button", name="Yes, that's right").click()
    page.get_by_role("button", name="We chose together").click()
    expect(page.get_by_role("heading", name="Feedback conversation")).to_be_visible()
    expect(page.locator('input[name="satisfaction"][value="5"]')).to_be_checked()
    expect(page.locator('input[name="satisfaction_rated_by"][value="together"]')).to_be_checked()
    assert axe_violations(page) == []
    page.get_by_role("button", name="Save conversation").click()
    saved = _stored(live, page, select(FeedbackConversation).where(
        FeedbackConversation.person_id == margaret, FeedbackConversation.works_well == "Fran waits while I find my keys."))
    assert (saved.satisfaction, saved.satisfaction_rated_by) == (5, "together")


def test_complaint_logged_and_shown_before_and_after_a_change(live, page):
    margaret = _person_id(live.app, "Margaret Ellis")
    sign_in(page, live, "manager@demo.example")
    expect(page.get_by_role("button", name="Sign out")).to_be_visible()
    page.goto(f"{live.url}/people/{margaret}/events/new")
    page.get_by_label("What happened").select_option("complaint")
    page.get_by_role("button", name="Save event").click()
    expect(page.locator(".field-error")).to_contain_text("Say what the complaint was about.")
    page.get_by_label("What the complaint was about").fill("The Tuesday call was forty minutes late.")
    page.get_by_role("button", name="Save event").click()
    stored = _stored(live, page, select(ServiceEvent).where(
        ServiceEvent.person_id == margaret, ServiceEvent.note == "The Tuesday call was forty minutes late."))
    assert stored.kind == "complaint"

    page.goto(f"{live.url}/changes")
    page.get_by_role("link", name=re.compile("Flexible arrival windows")).first.click()
    section = page.locator("section.change-voice")
    expect(section.get_by_role("heading", name="What people said about their support")).to_be_visible()
    rows = {name: section.locator("tr", has=page.get_by_role("rowheader", name=re.compile(name))) for name in ("Complaints", "Compliments", "How happy")}
    expect(rows["Complaints"].locator("td").nth(0)).to_have_text("4")
    expect(rows["Complaints"].locator("td").nth(1)).to_have_text("1")  # fewer complaints after the change
    expect(rows["Compliments"].locator("td").nth(0)).to_have_text("1")
    expect(rows["Compliments"].locator("td").nth(1)).to_have_text("3")
    expect(rows["How happy"].locator("td").nth(0)).to_contain_text(re.compile(r"n = \d+ answers"))
    expect(rows["How happy"].locator("td").nth(1)).to_contain_text(re.compile(r"n = \d+ answers"))
    assert axe_violations(page) == []
