"""A manager's phone syncs a review of Sam's morning routine dated before the worker's latest one, so
the worker's review is now a drop with no explanation: the worker sees it flagged on Sam's page,
adds what changed and what support will change, and the server stores it."""
from datetime import timedelta

from playwright.sync_api import expect
from sqlalchemy import select

from server.domain import outcomes
from server.extensions import db
from server.models import Outcome, Review, User
from tests.e2e.conftest import axe_violations, sign_in


def test_worker_explains_a_review_that_became_a_drop(live, page):
    with live.writing():
        outcome = db.session.execute(select(Outcome).where(Outcome.domain == "Managing my own morning routine")).scalar_one()
        latest = db.session.execute(
            select(Review).where(Review.outcome_id == outcome.id).order_by(Review.happened_at.desc()).limit(1)
        ).scalar_one()
        manager = db.session.execute(select(User).where(User.email == "manager@demo.example")).scalar_one()
        outcomes.create_review(manager, {
            "id": None, "outcome_id": outcome.id, "score": 5, "rated_by": "together",
            "happened_at": latest.happened_at - timedelta(hours=20), "evidence": ["Got up and dressed without prompts"],
        })
        db.session.commit()
        latest_id, latest_score = latest.id, latest.score
    assert latest_score < 5

    page.set_viewport_size({"width": 320, "height": 780})
    sign_in(page, live, "worker@demo.example")
    page.get_by_role("link", name="Sam Taylor").click()
    expect(page.get_by_role("heading", name="Sam Taylor", exact=True)).to_be_visible()
    notice = page.locator("#needs-explanation")
    expect(notice).to_contain_text("1 review is lower than the review before it")
    page.get_by_role("link", name="Add what changed").click()
    expect(page.get_by_role("heading", name="Explain a lower score: Managing my own morning routine")).to_be_visible()
    assert axe_violations(page) == []
    page.get_by_role("button", name="Save explanation").click()
    expect(page.locator("#error-summary")).to_contain_text("Say what changed.")
    page.get_by_label("What changed?").fill("New medication makes mornings slow")
    page.get_by_label("What support will change?").fill("Later call time for a month")
    page.get_by_role("button", name="Save explanation").click()
    expect(page.get_by_role("heading", name="Sam Taylor", exact=True)).to_be_visible()
    expect(page.locator("#sync-state")).to_contain_text("All sent")
    expect(page.locator("#needs-explanation")).to_have_count(0)

    with live.app.app_context():
        stored = db.session.get(Review, latest_id)
        assert (stored.what_changed, stored.support_adjustment) == ("New medication makes mornings slow", "Later call time for a month")
        assert stored.score == latest_score
        assert outcomes.unexplained_drops(list(db.session.execute(select(Review).where(Review.outcome_id == stored.outcome_id)).scalars())) == set()
