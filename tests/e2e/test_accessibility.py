"""Every screen of the app, as each role, on a 320 px wide screen: axe-core finds no serious or
critical WCAG 2.2 A/AA violations, and nothing makes the page scroll sideways (reflow; data tables
scroll inside their own region)."""
import pytest
from sqlalchemy import select

from server.extensions import db
from server.models import Change, FeedbackConversation, Outcome, Person, Review, Service
from tests.e2e.conftest import axe_violations, sign_in


def ids(app):
    with app.app_context():
        sam = db.session.execute(select(Person).where(Person.name == "Sam Taylor")).scalar_one()
        ben = db.session.execute(select(Person).where(Person.name == "Ben Carter")).scalar_one()
        outcome = db.session.execute(select(Outcome).where(Outcome.person_id == sam.id, Outcome.status == "active")).scalars().first()
        change = db.session.execute(select(Change).where(Change.description.like("Quieter breakfast%"))).scalar_one()
        feedback = db.session.execute(select(FeedbackConversation)).scalars().first()
        service = db.session.execute(select(Service).where(Service.kind == "domiciliary")).scalar_one()
        review = db.session.execute(select(Review).where(Review.outcome_id == outcome.id)).scalars().first()
        return dict(sam=sam.id, ben=ben.id, outcome=outcome.id, change=change.id, feedback=feedback.id, service=service.id,
                    review=review.id, **governance_ids())


def governance_ids():
    """Ids for the governance screens (escalations in each state, an audit, the worker, a month)."""
    from datetime import date

    from server.models import CarePlanAudit, Escalation, User

    def escalation(status):
        return db.session.execute(select(Escalation.id).where(Escalation.status == status).limit(1)).scalar_one()

    living = db.session.execute(select(Service).where(Service.kind == "supported_living")).scalar_one()
    aisha = db.session.execute(select(Person).where(Person.name == "Aisha Khan")).scalar_one()
    worker = db.session.execute(select(User).where(User.email == "worker@demo.example")).scalar_one()
    audit = db.session.execute(select(CarePlanAudit.id).order_by(CarePlanAudit.audited_on.desc()).limit(1)).scalar_one()
    return dict(living=living.id, aisha=aisha.id, worker=worker.id, audit=audit, month=f"{date.today():%Y-%m}",
                esc_open=escalation("open"), esc_ack=escalation("acknowledged"), esc_answered=escalation("answered"))


SCREENS = {
    "worker@demo.example": ["/", "/people/{sam}", "/people/{sam}/outcomes/new", "/outcomes/{outcome}/edit",
                            "/outcomes/{outcome}/review", "/outcomes/{outcome}/handover", "/outcomes/{outcome}/actions/new",
                            "/people/{sam}/feedback/new", "/people/{sam}/events/new", "/reviews/{review}/explain", "/sync", "/inbox",
                            "/settings", "/account", "/supervisions/mine"],
    "residential@demo.example": ["/people/{ben}", "/people/{ben}/checks/new"],
    "manager@demo.example": ["/", "/people/{sam}", "/people/{sam}/audit", "/feedback", "/feedback/{feedback}", "/changes", "/changes/new",
                             "/changes/{change}", "/services", "/services/{service}", "/services/{service}/themes", "/overdue", "/inbox",
                             "/manage/people", "/manage/people/new", "/manage/people/{sam}", "/manage/import",
                             "/governance", "/governance/dashboard?service={living}&month={month}", "/escalations",
                             "/escalations?status=answered", "/escalations/{esc_ack}", "/escalations/{esc_answered}", "/people/{aisha}",
                             "/supervisions", "/supervisions/new?user={worker}&month={month}", "/audits", "/audits/new/{sam}",
                             "/audits/{audit}", "/learning", "/learning/new?service={living}&source_kind=dashboard&source_id={month}"],
    "senior@demo.example": ["/", "/people/{sam}/audit", "/changes", "/overdue", "/services", "/governance", "/escalations", "/escalations/{esc_open}",
                            "/governance/dashboard?service={service}&month={month}", "/learning"],
    "commissioner@demo.example": ["/services", "/services/{service}"],
    "admin@demo.example": ["/", "/staff", "/account", "/manage/people", "/manage/people/{ben}", "/manage/import"],
    "person@demo.example": ["/me"],
}


@pytest.mark.parametrize("email", list(SCREENS))
def test_every_screen_has_no_serious_violations(live, page, email):
    known = ids(live.app)
    page.set_viewport_size({"width": 320, "height": 780})
    page.goto(live.url + "/signin")
    page.get_by_role("heading", name="Sign in").wait_for()
    assert axe_violations(page) == [], "sign-in page"
    sign_in(page, live, email)
    page.get_by_role("navigation", name="Main").wait_for()  # signed in (read-only roles have no sync state)
    found = {}
    for path in SCREENS[email]:
        url = live.url + path.format(**known)
        page.goto(url)
        page.locator("main h1").first.wait_for()
        page.wait_for_load_state("networkidle")
        violations = axe_violations(page)
        width, visible = page.evaluate("() => [document.documentElement.scrollWidth, document.documentElement.clientWidth]")
        if width > visible:
            violations.append({"id": "reflow", "help": f"page is {width}px wide on a {visible}px screen"})
        if violations:
            found[path] = violations
    assert found == {}


def test_the_axe_check_itself_catches_a_violation(page):
    """Guards the guard: a missing alt text and an unlabelled field must be reported."""
    page.set_content('<html lang="en"><body><main><h1>x</h1><img src="data:image/gif;base64,R0lGODlhAQABAAAAACw="><input type="text"></main></body></html>')
    ids = {v["id"] for v in axe_violations(page)}
    assert "image-alt" in ids and "label" in ids
