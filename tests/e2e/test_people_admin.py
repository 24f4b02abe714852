"""A manager adds a person, gives them a keyworker, and later ends their support: the worker's phone
gets the person at its next sync and deletes them after support ends, while the database keeps their
history. And a spreadsheet import through the screen: a bad row is shown and nothing is created;
the fixed file imports everyone."""
import re
from datetime import date

from playwright.sync_api import expect
from sqlalchemy import func, select

from server.extensions import db
from server.models import AuditEvent, CaseloadAssignment, Outcome, Person, Service, User
from tests import factories
from tests.e2e.conftest import TIMEOUT_MS, axe_violations, sign_in
from tests.e2e.test_handover import tab_to

PHONE_PEOPLE = """async () => {
    const db = await new Promise((ok, fail) => { const r = indexedDB.open('tandem'); r.onsuccess = () => ok(r.result); r.onerror = fail; });
    const all = (name) => new Promise((ok) => { const q = db.transaction(name).objectStore(name).getAll(); q.onsuccess = () => ok(q.result); });
    const people = await all('people');
    const outcomes = await all('outcomes');
    db.close();
    return { names: people.map((p) => p.name), ids: people.map((p) => p.id), outcome_people: outcomes.map((o) => o.person_id) };
}"""


def phone(page):
    return page.evaluate(PHONE_PEOPLE)


def wait_for_phone(page, check, what, seconds=45):
    """Polls the phone's IndexedDB until `check(contents)` holds (sync runs in the background)."""
    for _ in range(seconds * 4):
        contents = phone(page)
        if check(contents):
            return contents
        page.wait_for_timeout(250)
    raise AssertionError(f"the phone never {what}: {phone(page)}")


def test_manager_adds_a_person_assigns_a_keyworker_and_ends_support(live, browser, page):
    # The worker's phone, signed in with its caseload.
    worker_ctx = browser.new_context(viewport={"width": 360, "height": 780}, locale="en-GB", service_workers="allow")
    worker_ctx.set_default_timeout(TIMEOUT_MS)
    worker = worker_ctx.new_page()
    sign_in(worker, live, "worker@demo.example")
    expect(worker.get_by_role("heading", name="My caseload")).to_be_visible()
    expect(worker.get_by_role("link", name=re.compile("Sam Taylor"))).to_be_visible()

    # The manager adds Nia Roberts to Oak House on a 320 px screen.
    page.set_viewport_size({"width": 320, "height": 780})
    sign_in(page, live, "manager@demo.example")
    expect(page.get_by_role("heading", name="People", exact=True)).to_be_visible()
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Manage people").click()
    expect(page.get_by_role("heading", name="Manage people")).to_be_visible()
    page.get_by_role("link", name="Add a person").click()
    expect(page.get_by_role("heading", name="Add a person")).to_be_visible()
    page.get_by_role("button", name="Add person").click()
    expect(page.get_by_role("alert")).to_contain_text("Enter their full name")
    page.get_by_label("Full name").fill("Nia Roberts")
    page.get_by_label("Preferred name").fill("Nia")
    page.get_by_label("Service").select_option(label="Oak House Supported Living")
    page.get_by_role("button", name="Add person").click()
    expect(page.get_by_role("heading", name="Nia Roberts")).to_be_visible()
    expect(page.locator("main .notice").filter(has_text="was added to Oak House")).to_be_visible()
    assert axe_violations(page) == []

    with live.app.app_context():
        nia = db.session.execute(select(Person).where(Person.name == "Nia Roberts")).scalar_one()
        assert nia.preferred_name == "Nia" and nia.joined_on == date.today()
        oak = db.session.execute(select(Service).where(Service.name == "Oak House Supported Living")).scalar_one()
        assert nia.service_id == oak.id
        nia_id = nia.id
    # Something to keep: an outcome recorded with Nia.
    outcome_id = factories.outcome(live.app, nia_id, domain="Cooking for friends")

    # Keyworker, with the keyboard alone.
    page.get_by_role("heading", name="Nia Roberts").focus()
    tab_to(page, "Alex Morgan")
    assert page.evaluate("() => document.activeElement.type") == "checkbox"
    page.keyboard.press("Space")
    tab_to(page, "Save keyworkers")
    page.keyboard.press("Enter")
    expect(page.locator("main .notice").filter(has_text="Keyworkers saved: Alex Morgan")).to_be_visible()
    with live.app.app_context():
        alex = db.session.execute(select(User).where(User.email == "worker@demo.example")).scalar_one()
        assert db.session.execute(select(CaseloadAssignment).where(
            CaseloadAssignment.person_id == nia_id, CaseloadAssignment.user_id == alex.id)).scalar_one()

    # The worker's phone syncs (on opening the app) and Nia is on the caseload, with her outcome.
    worker.reload()
    expect(worker.get_by_role("link", name=re.compile("Nia Roberts"))).to_be_visible()
    held = wait_for_phone(worker, lambda c: "Nia Roberts" in c["names"] and nia_id in c["outcome_people"], "received Nia")
    assert nia_id in held["ids"]

    # The manager ends Nia's support (confirming the dialog).
    dialogs = []

    def answer(dialog):
        dialogs.append(dialog.message)
        dialog.accept()

    page.on("dialog", answer)
    expect(page.get_by_label("Support ended on")).to_have_value(date.today().isoformat())
    page.get_by_role("button", name="End support").click()
    expect(page.locator("main .notice").filter(has_text="Support for Nia Roberts ended on")).to_be_visible()
    assert dialogs and "End support for Nia Roberts" in dialogs[0]
    expect(page.get_by_role("button", name="Resume support")).to_be_visible()
    assert axe_violations(page) == []

    # After the worker's next sync the phone holds nothing of Nia.
    worker.reload()
    expect(worker.get_by_role("heading", name="My caseload")).to_be_visible()
    held = wait_for_phone(worker, lambda c: nia_id not in c["ids"] and nia_id not in c["outcome_people"], "deleted Nia")
    assert "Sam Taylor" in held["names"]
    expect(worker.get_by_role("link", name=re.compile("Nia Roberts"))).to_have_count(0)

    # The database keeps her, her history and the audit trail; nobody has her on a caseload.
    with live.app.app_context():
        nia = db.session.get(Person, nia_id)
        assert nia.ended_on == date.today()
        assert db.session.get(Outcome, outcome_id) is not None
        assert db.session.scalar(select(func.count()).select_from(CaseloadAssignment).where(CaseloadAssignment.person_id == nia_id)) == 0
        actions = set(db.session.execute(select(AuditEvent.action).where(AuditEvent.person_id == nia_id)).scalars())
        assert {"create", "caseload_add", "caseload_remove", "end_support"} <= actions

    # The manager's list leaves her out unless asked for people whose support ended.
    page.get_by_role("link", name="← Manage people").click()
    expect(page.get_by_role("heading", name="Manage people")).to_be_visible()
    expect(page.get_by_role("link", name=re.compile("Sam Taylor"))).to_be_visible()
    expect(page.get_by_role("link", name=re.compile("Nia Roberts"))).to_have_count(0)
    page.get_by_label("Include people whose support has ended").check()
    page.get_by_role("button", name="Search").click()
    expect(page.get_by_role("link", name=re.compile("Nia Roberts"))).to_contain_text("Support ended")
    assert axe_violations(page) == []
    width, visible = page.evaluate("() => [document.documentElement.scrollWidth, document.documentElement.clientWidth]")
    assert width <= visible
    worker_ctx.close()


def csv_bytes(rows):
    lines = ["name,service,keyworker_emails,started_on"] + [",".join(r) for r in rows]
    return ("\ufeff" + "\r\n".join(lines) + "\r\n").encode("utf-8")


def test_import_shows_a_bad_row_creates_nothing_then_imports_the_fixed_file(live, page):
    page.set_viewport_size({"width": 320, "height": 780})
    sign_in(page, live, "manager@demo.example")
    expect(page.get_by_role("heading", name="People", exact=True)).to_be_visible()
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Manage people").click()
    page.get_by_role("link", name="Import from a spreadsheet").click()
    expect(page.get_by_role("heading", name="Import people from a spreadsheet")).to_be_visible()
    expect(page.get_by_role("link", name="Download the template (CSV)")).to_have_attribute("href", "/api/v1/imports/people/template")
    with live.app.app_context():
        before = db.session.scalar(select(func.count()).select_from(Person))

    bad = [["Olu Adebayo", "Oak House Supported Living", "worker@demo.example", "01/03/2026"],
           ["Pat Quinn", "Oak Hse", "", "2026-02-14"],
           ["Rosa Diaz", "Elm Court", "residential@demo.example", ""]]
    page.get_by_label("CSV file").set_input_files({"name": "people.csv", "mimeType": "text/csv", "buffer": csv_bytes(bad)})
    page.get_by_role("button", name="Check the file").click()
    table = page.get_by_role("table", name="Problems found in people.csv")
    expect(table).to_be_visible()
    expect(table.get_by_role("row")).to_have_count(2)  # the header and the one problem
    expect(table).to_contain_text("No service called 'Oak Hse'")
    expect(table.get_by_role("row").nth(1)).to_contain_text("3")
    expect(page.get_by_role("button", name="Import people")).to_be_disabled()
    assert axe_violations(page) == []
    with live.app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Person)) == before

    fixed = [row[:] for row in bad]
    fixed[1][1] = "Oak House Supported Living"
    page.get_by_label("CSV file").set_input_files({"name": "people-fixed.csv", "mimeType": "text/csv", "buffer": csv_bytes(fixed)})
    page.get_by_role("button", name="Check the file").click()
    preview = page.get_by_role("table", name="People to import")
    expect(preview).to_be_visible()
    expect(preview.get_by_role("row")).to_have_count(4)
    expect(preview).to_contain_text("1 Mar 2026")
    assert axe_violations(page) == []
    page.get_by_role("button", name="Import 3 people").click()
    expect(page.get_by_role("heading", name="3 people imported")).to_be_visible()

    with live.app.app_context():
        made = {p.name: p for p in db.session.execute(
            select(Person).where(Person.name.in_(["Olu Adebayo", "Pat Quinn", "Rosa Diaz"]))).scalars()}
        assert set(made) == {"Olu Adebayo", "Pat Quinn", "Rosa Diaz"}
        assert made["Olu Adebayo"].joined_on == date(2026, 3, 1)
        residential = db.session.execute(select(User).where(User.email == "residential@demo.example")).scalar_one()
        assert db.session.execute(select(CaseloadAssignment).where(
            CaseloadAssignment.person_id == made["Rosa Diaz"].id, CaseloadAssignment.user_id == residential.id)).scalar_one()
        assert db.session.scalar(select(func.count()).select_from(Person)) == before + 3
    page.get_by_role("link", name="See them in Manage people").click()
    expect(page.get_by_role("link", name=re.compile("Pat Quinn"))).to_be_visible()
