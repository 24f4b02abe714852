"""Issue: a keyworker defines an outcome with the person and records monthly reviews, including a
drop, then finds the trend line and the table showing them."""
import re
from datetime import date, datetime, timedelta

from playwright.sync_api import expect
from sqlalchemy import select

from server.extensions import db
from server.models import EvidenceNote, Outcome, Review
from tests.e2e.conftest import axe_violations, sign_in


def record_review(page, base_url, outcome_id, score_word, note, when, drop_answers=None):
    page.goto(f"{base_url}/outcomes/{outcome_id}/review")
    page.get_by_role("heading", name="Review:").wait_for()
    page.locator(".score-option", has_text=score_word).click()
    if drop_answers:
        page.get_by_label("What changed?").wait_for()
        page.get_by_label("What changed?").fill(drop_answers[0])
        page.get_by_label("What support will change?").fill(drop_answers[1])
    page.get_by_label("Evidence note 1").fill(note)
    page.get_by_label("When was the session?").fill(when)
    page.get_by_role("button", name="Save review").click()
    page.get_by_role("heading", name="Sam Taylor").wait_for()


def test_define_outcome_and_review_with_a_drop(live, page):
    sign_in(page, live, "worker@demo.example")
    page.get_by_role("link", name="Sam Taylor").click()
    page.get_by_role("heading", name="Sam Taylor").wait_for()
    page.get_by_role("link", name="Define a new outcome").click()
    page.get_by_role("heading", name="Define an outcome").wait_for()
    assert axe_violations(page) == []

    # Saving with nothing filled in names what is missing, and keeps what was typed.
    page.get_by_label("Area that matters to them").fill("Going swimming")
    page.get_by_role("button", name="Save outcome").click()
    expect(page.locator("#error-summary")).to_contain_text(re.compile("in their own words|what the person said", re.IGNORECASE))
    expect(page.get_by_label("Area that matters to them")).to_have_value("Going swimming")

    start = date.today() - timedelta(days=120)
    page.get_by_label("In their own words").fill("I want to swim with my cousin on Saturdays.")
    page.get_by_label("What we will see, hear or measure").fill("Goes to the leisure centre pool with his cousin")
    page.get_by_label("Target").fill("Twice a month")
    page.get_by_label("Starts on").fill(start.isoformat())
    page.get_by_label("Participation in work, education, training or recreation").check()
    page.get_by_role("button", name="Save outcome").click()
    page.get_by_role("heading", name="Going swimming").wait_for()
    page.locator("#sync-state", has_text="All sent").wait_for()

    with live.app.app_context():
        outcome = db.session.execute(select(Outcome).where(Outcome.domain == "Going swimming")).scalar_one()
        outcome_id = outcome.id
        assert outcome.persons_words == "I want to swim with my cousin on Saturdays."

    base = datetime.now() - timedelta(days=90)
    fmt = lambda d: d.strftime("%Y-%m-%dT%H:%M")  # noqa: E731
    record_review(page, live.url, outcome_id, "Starting", "Went to the pool with staff", fmt(base))
    record_review(page, live.url, outcome_id, "Nearly there", "Swam with his cousin, staff waited in the café", fmt(base + timedelta(days=30)))

    # A lower score: the two drop questions appear as soon as it is chosen.
    page.goto(f"{live.url}/outcomes/{outcome_id}/review")
    page.get_by_label("When was the session?").fill(fmt(base + timedelta(days=60)))
    page.locator(".score-option", has_text="Getting better").click()
    expect(page.get_by_label("What changed?")).to_be_visible()
    expect(page.get_by_label("What support will change?")).to_be_visible()
    # Saving without the answers is refused on the phone, naming both.
    page.get_by_label("Evidence note 1").fill("Did not go: the bus timetable changed")
    page.get_by_role("button", name="Save review").click()
    summary = page.locator("#error-summary")
    expect(summary).to_contain_text(re.compile("what changed", re.IGNORECASE))
    expect(summary).to_contain_text(re.compile("what support will change", re.IGNORECASE))
    expect(page.get_by_label("Evidence note 1")).to_have_value("Did not go: the bus timetable changed")
    page.get_by_label("What changed?").fill("The Saturday bus was cancelled")
    page.get_by_label("What support will change?").fill("Staff to drive him to the pool for a month")
    page.get_by_role("button", name="Save review").click()
    page.get_by_role("heading", name="Sam Taylor").wait_for()
    page.locator("#sync-state", has_text="All sent").wait_for()

    section = page.locator("section.outcome", has=page.get_by_role("heading", name="Going swimming"))
    section.get_by_text("Wellbeing and history: 3 reviews").click()  # histories start collapsed
    section.locator(".chart canvas").first.wait_for()
    table = section.get_by_role("table", name="Reviews of “Going swimming”")
    expect(table.locator("tbody tr")).to_have_count(3)
    expect(table).to_contain_text("Went to the pool with staff")
    expect(table).to_contain_text("The Saturday bus was cancelled")
    assert axe_violations(page) == []

    with live.app.app_context():
        reviews = db.session.execute(select(Review).where(Review.outcome_id == outcome_id).order_by(Review.happened_at)).scalars().all()
        assert [r.score for r in reviews] == [2, 4, 3]
        assert reviews[2].what_changed == "The Saturday bus was cancelled"
        assert reviews[2].support_adjustment == "Staff to drive him to the pool for a month"
        notes = db.session.execute(select(EvidenceNote.text).where(EvidenceNote.outcome_id == outcome_id)).scalars().all()
        assert sorted(notes) == sorted(["Went to the pool with staff", "Swam with his cousin, staff waited in the café",
                                        "Did not go: the bus timetable changed"])


def test_marking_an_action_done_reaches_the_server(live, page):
    from server.models import Action

    sign_in(page, live, "worker@demo.example")
    page.get_by_role("link", name="Sam Taylor").click()
    section = page.locator("section.outcome", has=page.get_by_role("heading", name="Confidence using buses"))
    section.get_by_role("button", name=re.compile(r"Mark done\W+Keep the bus pass in the wallet")).click()
    section.get_by_role("button", name=re.compile(r"Reopen\W+Keep the bus pass in the wallet")).wait_for()
    for _ in range(100):  # the phone saved it first; it reaches the server on the next sync
        with live.app.app_context():
            action = db.session.execute(select(Action).where(Action.description == "Keep the bus pass in the wallet")).scalar_one()
            if action.status == "done":
                break
        page.wait_for_timeout(100)
    assert (action.status, action.version) == ("done", 2)
    page.locator("#sync-state", has_text="All sent").wait_for()
