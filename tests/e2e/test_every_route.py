"""Every screen, as every role, on a 390 px phone: nothing wider than the screen, every button
reachable without scrolling sideways, and no US or machine date formats in the visible text.

The route list is read from the client's own route table (client/js/views/index.js, run under node:
its patterns are server/data/rules.json's app routes), so a new screen is checked as soon as it is added."""
from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from server.extensions import db
from server.models import (
    CarePlanAudit, Change, Escalation, FeedbackConversation, Outcome, Person, Review, User,
)
from tests.client_js import client_route_table
from tests.e2e.conftest import sign_in

VIEWS = Path(__file__).resolve().parents[2] / "client" / "js" / "views"
ROLES = {
    "support_worker": "worker@demo.example",
    "registered_manager": "manager@demo.example",
    "senior_leader": "senior@demo.example",
    "commissioner": "commissioner@demo.example",
    "admin": "admin@demo.example",
    "person": "person@demo.example",
}
# Pages for someone signed out: sign-in, and the set-password page of a one-time link.
SIGNED_OUT = {"/signin", "/invite/:token"}
BAD_FORMATS = [re.compile(p) for p in (r"\b\d{1,2}/\d{1,2}\b", r"\b\d{4}Q\d\b", r"\b\d{4}-\d{2}\b", r"\b[AP]M\b")]


def route_table() -> list[str]:
    """The path patterns of the client's route table, in its order."""
    table = client_route_table()
    assert len(table) > 40 and "/changes/:changeId" in table and "/governance/dashboard" in table
    return table


def demo_ids(app) -> dict[str, str]:
    """An id from the demo organisation for each route parameter."""
    with app.app_context():
        first = lambda q: db.session.execute(q.limit(1)).scalar_one()  # noqa: E731
        person = first(select(Person).join(User, User.person_id == Person.id).where(User.email == "person@demo.example"))
        outcome = first(select(Outcome).where(Outcome.person_id == person.id, Outcome.status == "active"))
        change = first(select(Change).order_by(Change.starts_on))
        escalation = db.session.execute(select(Escalation.id).limit(1)).scalar()
        audit = db.session.execute(select(CarePlanAudit.id).limit(1)).scalar()
        return {
            "id": person.id,
            "personId": person.id,
            "outcomeId": outcome.id,
            "reviewId": first(select(Review.id).where(Review.outcome_id == outcome.id)),
            "changeId": change.id,
            "feedbackId": first(select(FeedbackConversation.id)),
            "serviceId": person.service_id,
            "escalationId": escalation or "no-such-escalation",
            "auditId": audit or "no-such-audit",
            "token": "not-a-real-token",
        }


def fill(pattern: str, ids: dict[str, str]) -> str:
    return re.sub(r":(\w+)", lambda m: ids[m.group(1)], pattern)


CHECK = """() => {
  const width = window.innerWidth;
  const out = {scrollWidth: document.documentElement.scrollWidth, width, cut: []};
  const clips = (el) => { const s = getComputedStyle(el); return ['auto', 'scroll', 'hidden', 'clip'].includes(s.overflowX); };
  for (const b of document.querySelectorAll('button, a.button, input[type=submit]')) {
    const r = b.getBoundingClientRect();
    if (!r.width || !r.height || getComputedStyle(b).visibility === 'hidden') continue;
    let cut = r.left < 0 || r.right > width + 0.5;
    for (let p = b.parentElement; p && !cut; p = p.parentElement) {
      if (p === document.body || p === document.documentElement) break;
      if (!clips(p)) continue;
      const c = p.getBoundingClientRect();
      if (r.left < c.left - 0.5 || r.right > c.left + p.clientWidth + 0.5) cut = true;
    }
    if (cut) out.cut.push((b.innerText || b.value || '').trim().slice(0, 60));
  }
  // A table wider than its box hides columns until someone scrolls it sideways.
  out.hidden = [...document.querySelectorAll('.table-scroll')].filter((t) => t.scrollWidth > t.clientWidth + 1)
    .map((t) => (t.querySelector('caption')?.innerText || t.getAttribute('aria-label') || '').slice(0, 60));
  // Text meant to be typed or read by a machine (a file's column format) is shown as code.
  const copy = document.createElement('div');
  copy.style.cssText = 'position:absolute;left:-99999px;top:0;width:390px';
  for (const n of document.body.children) if (n.tagName !== 'SCRIPT') copy.append(n.cloneNode(true));
  copy.querySelectorAll('code, [hidden], template').forEach((n) => n.remove());
  document.body.append(copy);
  out.text = copy.innerText;
  copy.remove();
  return out;
}"""


def settle(page):
    expect(page.locator("#main h1").first).to_be_visible()
    page.wait_for_load_state("networkidle")
    page.wait_for_timeout(150)  # a view that draws a chart after its data


def problems_on(page, path: str) -> list[str]:
    found = page.evaluate(CHECK)
    out = []
    if found["scrollWidth"] > 390:
        out.append(f"{path}: page is {found['scrollWidth']} px wide")
    if found["hidden"]:
        out.append(f"{path}: tables scroll sideways, hiding columns: {found['hidden']}")
    if found["cut"]:
        out.append(f"{path}: buttons cut off or scrolled out of view: {found['cut']}")
    for rx in BAD_FORMATS:
        for m in rx.finditer(found["text"]):
            context = found["text"][max(0, m.start() - 40): m.end() + 20].replace("\n", " ")
            out.append(f"{path}: machine or US format {m.group(0)!r} in “{context}”")
    return out


@pytest.mark.parametrize("role", list(ROLES))
def test_every_route_fits_a_phone_and_shows_british_dates(live, browser, role):
    ids = demo_ids(live.app)
    ctx = browser.new_context(viewport={"width": 390, "height": 844}, locale="en-GB", service_workers="allow")
    page = ctx.new_page()
    errors = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    try:
        sign_in(page, live, ROLES[role])
        expect(page.locator("#main h1")).to_be_visible()
        expect(page.get_by_role("button", name="Sign out")).to_be_visible()
        problems = []
        visited = 0
        for pattern in route_table():
            if pattern in SIGNED_OUT:
                continue
            path = fill(pattern, ids)
            page.goto(live.url + path)
            settle(page)
            problems += problems_on(page, f"{role} {path}")
            visited += 1
        assert visited > 40
        assert not problems, "\n".join(problems)
        assert not errors, errors
    finally:
        ctx.close()


def test_signed_out_pages_fit_a_phone(live, browser):
    ctx = browser.new_context(viewport={"width": 390, "height": 844}, locale="en-GB", service_workers="allow")
    page = ctx.new_page()
    try:
        problems = []
        for pattern in SIGNED_OUT:
            path = fill(pattern, {"token": "not-a-real-token"})
            page.goto(live.url + path)
            settle(page)
            problems += problems_on(page, path)
        assert not problems, "\n".join(problems)
    finally:
        ctx.close()
