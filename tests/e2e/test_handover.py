"""The person's own voice: a hand-over rating on the worker's phone, with the keyboard alone and
with no signal, recorded as rated by the person."""
from playwright.sync_api import expect
from sqlalchemy import select

from server.extensions import db
from server.models import Outcome, Person, Review
from tests.e2e.conftest import sign_in
from tests.e2e.test_offline import phone_signed_in


def sam_outcome(app):
    with app.app_context():
        sam = db.session.execute(select(Person).where(Person.name == "Sam Taylor")).scalar_one()
        outcome = db.session.execute(
            select(Outcome).where(Outcome.person_id == sam.id, Outcome.domain == "Managing my own morning routine")
        ).scalar_one()
        return outcome.id


def tab_to(page, name, limit=60):
    """Press Tab until the focused element's text or label contains `name` (keyboard only)."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        label = page.evaluate(
            "() => { const e = document.activeElement; if (!e || e === document.body || !e.matches('a, button, input, select, textarea')) return '';"
            " return (e.getAttribute('aria-label') || e.innerText || e.value || '') + ' ' + (e.labels && e.labels[0] ? e.labels[0].innerText : ''); }"
        )
        if name.lower() in label.lower():
            return
    raise AssertionError(f"could not reach {name!r} with Tab")


def test_handover_rating_with_the_keyboard_alone(live, page):
    outcome_id = sam_outcome(live.app)
    sign_in(page, live, "worker@demo.example")
    page.get_by_role("heading", name="My caseload").wait_for()
    page.goto(f"{live.url}/outcomes/{outcome_id}/review")
    page.get_by_role("heading", name="Review:").wait_for()
    page.get_by_label("Evidence note 1").fill("Ready before the bus on three mornings")

    tab_to(page, "Hand the phone to Sam")
    page.keyboard.press("Enter")
    # Each stage moves the focus to its heading (in the next animation frame), so a screen reader
    # announces it; wait for that before tabbing on, or a slow machine moves the focus back mid-way.
    expect(page.get_by_role("heading", name="How is it going?")).to_be_focused()
    # Staff-only notes are not on this screen.
    expect(page.locator("main")).not_to_contain_text("Ready before the bus")
    tab_to(page, "Nearly there")
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name="You chose: Nearly there. Is that right?")).to_be_focused()
    tab_to(page, "Yes, that's right")
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name="Thank you, Sam")).to_be_focused()
    tab_to(page, "chose on their own")
    page.keyboard.press("Enter")

    expect(page.get_by_role("heading", name="Review:")).to_be_visible()
    expect(page.get_by_label("Evidence note 1")).to_have_value("Ready before the bus on three mornings")
    expect(page.locator('input[name="score"][value="4"]')).to_be_checked()
    expect(page.locator('input[name="rated_by"][value="person"]')).to_be_checked()
    tab_to(page, "Save review")
    page.keyboard.press("Enter")
    page.get_by_role("heading", name="Sam Taylor").wait_for()
    page.locator("#sync-state", has_text="All sent").wait_for()

    with live.app.app_context():
        review = db.session.execute(select(Review).where(Review.outcome_id == outcome_id).order_by(Review.happened_at.desc())).scalars().first()
        assert (review.score, review.rated_by) == (4, "person")
        assert [e.text for e in review.evidence] == ["Ready before the bus on three mornings"]


def test_handover_rating_made_offline_reaches_the_server(live, playwright_instance, tmp_path):
    outcome_id = sam_outcome(live.app)
    context, page = phone_signed_in(playwright_instance, live, tmp_path / "phone", "worker@demo.example")
    context.set_offline(True)
    page.get_by_role("link", name="Sam Taylor").click()
    page.locator("section.outcome", has=page.get_by_role("heading", name="Managing my own morning routine")).get_by_role("link", name="Record review").click()
    page.get_by_role("link", name="Hand the phone to Sam").click()
    page.get_by_role("button", name="Done it").click()
    page.get_by_role("button", name="Yes, that's right").click()
    page.get_by_role("button", name="We chose together").click()
    page.get_by_label("Not yet").check()  # a 5 asks whether the goal is achieved
    page.get_by_label("Evidence note 1").fill("Up and ready every day this month")
    page.get_by_role("button", name="Save review").click()
    page.locator("#sync-state", has_text="1 change waiting to send").wait_for()
    with live.app.app_context():
        assert db.session.execute(select(Review).where(Review.outcome_id == outcome_id, Review.score == 5)).first() is None
    context.set_offline(False)
    page.locator("#sync-state", has_text="All sent").wait_for(timeout=30000)
    with live.app.app_context():
        rows = db.session.execute(select(Review).where(Review.outcome_id == outcome_id, Review.score == 5)).scalars().all()
        assert len(rows) == 1 and rows[0].rated_by == "together"
    context.close()


def test_person_sees_only_their_own_goals(live, page):
    sign_in(page, live, "person@demo.example")
    expect(page.get_by_role("heading", name="My goals")).to_be_visible()
    main = page.locator("main")
    expect(main).to_contain_text("Confidence using buses")
    expect(main).to_contain_text("Now:")
    expect(main).not_to_contain_text("Going to the art group")  # Priya's goal
    with live.app.app_context():
        priya = db.session.execute(select(Person).where(Person.name == "Priya Shah")).scalar_one()
    r = page.request.get(f"{live.url}/api/v1/people/{priya.id}")
    assert r.status == 404
