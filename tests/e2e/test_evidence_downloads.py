"""Evidence out in the browser: a manager downloads every document from the service and person
screens; a commissioner sees the report's formats (anonymised only); the person prints their own
goals; a worker chooses the Care Act areas of wellbeing with the person, offline."""
import json
from datetime import date
from pathlib import Path
from urllib.parse import urljoin

from playwright.sync_api import expect
from sqlalchemy import select

from server.extensions import db
from server.models import Outcome, Person, Service
from tests.documents import Pdf, read_csv, read_xlsx
from tests.e2e.conftest import axe_violations, sign_in


def ids(app):
    with app.app_context():
        sam = db.session.execute(select(Person).where(Person.name == "Sam Taylor")).scalar_one()
        living = db.session.execute(select(Service).where(Service.kind == "supported_living")).scalar_one()
        return sam.id, living.id


def fetched(page, locator):
    """What a link gives, fetched with the page's own session (PDFs open in a new tab)."""
    response = page.request.get(urljoin(page.url, locator.get_attribute("href")))
    assert response.ok, (response.status, response.text()[:300])
    return response


def test_manager_downloads_every_document_from_the_service_and_person_screens(live, page):
    sam, living = ids(live.app)
    sign_in(page, live, "manager@demo.example")
    page.get_by_role("heading", name="People").wait_for()
    page.goto(f"{live.url}/services/{living}")
    section = page.locator("section", has=page.get_by_role("heading", name="Quarterly report"))
    expect(section).to_be_visible()
    # Anonymised by default; the named internal version on request.
    expect(section.get_by_label("Anonymised, for commissioners")).to_be_checked()
    anonymous_pdf = Pdf(fetched(page, section.get_by_role("link", name="PDF, to print or send")).body())
    assert anonymous_pdf.tagged and "Oak House Supported Living" in anonymous_pdf.text and "Sam Taylor" not in anonymous_pdf.text
    section.get_by_label("Named, for use inside the organisation").check()
    assert "version=named" in section.get_by_role("link", name="Read the report (web page)").get_attribute("href")
    with page.expect_download() as info:
        section.get_by_role("link", name="Excel workbook").click()
    workbook = read_xlsx(Path(info.value.path()).read_bytes())
    assert "Service measures" in workbook.sheetnames and "Methods" in workbook.sheetnames
    outcomes = workbook["Outcomes, one row each"]
    assert "Sam Taylor" in [c.value for c in outcomes["K"]] + [c.value for c in outcomes["L"]]
    section.get_by_label("CSV table").select_option("wellbeing")
    with page.expect_download() as info:
        section.get_by_role("link", name="Download the CSV table").click()
    header, rows = read_csv(Path(info.value.path()).read_bytes())
    assert header[0] == "area" and rows[0]["area"] == "dignity"
    assert info.value.suggested_filename.endswith("-wellbeing.csv")

    pack = page.locator("section", has=page.get_by_role("heading", name="CQC evidence pack"))
    pack.get_by_label("From").fill("2026-05-01")
    pack.get_by_label("To").fill("2026-04-01")
    pack.get_by_label("To").dispatch_event("change")
    expect(pack.get_by_role("alert")).to_contain_text("on or after the start date")
    pack.get_by_label("From").fill(date(date.today().year - 1, 1, 1).isoformat())
    pack.get_by_label("From").dispatch_event("change")
    pack.get_by_label("To").fill(date.today().isoformat())
    pack.get_by_label("To").dispatch_event("change")
    cqc = Pdf(fetched(page, pack.get_by_role("link", name="CQC evidence pack as PDF")).body())
    assert cqc.tagged and "Quality statement: Person-centred care" in cqc.text and "Sam Taylor" in cqc.text
    assert axe_violations(page) == []

    page.goto(f"{live.url}/people/{sam}")
    docs = page.get_by_role("region", name="Documents")
    docs.locator("summary").click()  # folded away on the person's page
    expect(docs.get_by_role("link", name="Print or save")).to_be_visible()
    summary = Pdf(fetched(page, docs.get_by_role("link", name="Print or save")).body())
    assert summary.tagged and "My goals" in summary.text
    with page.expect_download() as info:
        docs.get_by_role("link", name="Subject access export (JSON)").click()
    export = json.loads(Path(info.value.path()).read_bytes())
    assert export["person"]["name"] == "Sam Taylor" and export["audit"]
    fhir = json.loads(fetched(page, docs.get_by_role("link", name="FHIR record")).body())
    assert fhir["resourceType"] == "Bundle" and fhir["type"] == "collection"
    assert axe_violations(page) == []


def test_commissioner_sees_the_report_formats_and_no_named_choice(live, page):
    _, living = ids(live.app)
    sign_in(page, live, "commissioner@demo.example")
    page.get_by_role("heading", name="Services you commission").wait_for()
    page.goto(f"{live.url}/services/{living}")
    section = page.locator("section", has=page.get_by_role("heading", name="Quarterly report"))
    for name in ("Read the report (web page)", "PDF, to print or send", "Excel workbook", "Download the CSV table"):
        expect(section.get_by_role("link", name=name)).to_be_visible()
    expect(section.get_by_label("Named, for use inside the organisation")).to_have_count(0)
    expect(page.get_by_role("heading", name="CQC evidence pack")).to_have_count(0)
    with page.expect_download() as info:
        section.get_by_role("link", name="Download the CSV table").click()
    data = Path(info.value.path()).read_bytes()
    header, rows = read_csv(data)
    assert header[0] == "measure" and "Sam Taylor" not in data.decode("utf-8-sig")
    page.goto(f"{live.url}/people/{ids(live.app)[0]}")  # no person pages for commissioners
    expect(page.get_by_role("link", name="Print or save")).to_have_count(0)


def test_the_person_prints_their_own_goals(live, page):
    sign_in(page, live, "person@demo.example")
    page.get_by_role("heading", name="My goals").wait_for()
    link = page.get_by_role("link", name="Print or save")
    expect(link).to_be_visible()
    pdf = Pdf(fetched(page, link).body())
    assert pdf.tagged and "Going into town on my own, like everyone else." in pdf.text
    assert axe_violations(page) == []


def test_worker_chooses_wellbeing_areas_with_the_person_offline(live, page, context):
    sam, _ = ids(live.app)
    sign_in(page, live, "worker@demo.example")
    page.get_by_role("link", name="Sam Taylor").wait_for()
    page.locator("#sync-state", has_text="All sent").wait_for()
    page.goto(f"{live.url}/people/{sam}/outcomes/new")
    page.get_by_role("heading", name="Define an outcome").wait_for()
    context.set_offline(True)
    page.get_by_label("Area that matters to them").fill("Seeing my brother")
    page.get_by_label("In their own words").fill("I want to see Danny every fortnight.")
    page.get_by_label("What we will see, hear or measure").fill("Visits his brother by train")
    page.get_by_role("button", name="Save outcome").click()
    expect(page.locator("#error-summary")).to_contain_text("Choose at least one area of wellbeing")
    page.get_by_label("Domestic, family and personal relationships").check()
    page.get_by_label("Participation in work, education, training or recreation").check()
    assert axe_violations(page) == []
    page.get_by_role("button", name="Save outcome").click()
    section = page.locator("section.outcome", has=page.get_by_role("heading", name="Seeing my brother"))
    expect(section).to_contain_text("Participation in work, education, training or recreation; Domestic, family and personal relationships")
    context.set_offline(False)
    page.locator("#sync-state", has_text="All sent").wait_for()
    with live.app.app_context():
        outcome = db.session.execute(select(Outcome).where(Outcome.domain == "Seeing my brother")).scalar_one()
        assert outcome.wellbeing_areas == ["participation", "relationships"]


def test_the_html_documents_have_no_serious_violations_at_320px(live, page):
    sam, living = ids(live.app)
    page.set_viewport_size({"width": 320, "height": 780})
    sign_in(page, live, "manager@demo.example")
    page.get_by_role("heading", name="People").wait_for()
    found = {}
    for path in (f"/api/v1/services/{living}/report?format=html", f"/api/v1/services/{living}/report?format=html&version=named",
                 f"/api/v1/services/{living}/cqc-pack", f"/api/v1/people/{sam}/summary"):
        page.goto(live.url + path)
        page.locator("main h1").wait_for()
        violations = axe_violations(page)
        if violations:
            found[path] = violations
    assert found == {}



def test_a_form_being_filled_in_is_not_redrawn_when_the_first_sync_ends(live, page):
    """The app draws a form from the phone's copy, then syncs. When that sync ends while the worker
    is in the form, the form is left alone: a redraw would take the cursor out of the box they are
    typing in, and bind the form to fresh state while the boxes keep what was typed."""
    sam, _ = ids(live.app)
    sign_in(page, live, "worker@demo.example")
    expect(page.get_by_role("link", name="Sam Taylor")).to_be_visible()  # the caseload is on the phone
    page.locator("#sync-state", has_text="All sent").wait_for()
    held = []
    page.route("**/api/v1/sync/pull*", lambda route: held.append(route))
    page.goto(f"{live.url}/people/{sam}/outcomes/new")
    expect(page.get_by_role("heading", name="Define an outcome")).to_be_visible()
    page.get_by_label("Area that matters to them").click()  # about to type; nothing typed yet
    for _ in range(600):
        if held:
            break
        page.wait_for_timeout(50)
    for route in held:
        route.continue_()
    page.unroute("**/api/v1/sync/pull*")
    page.locator("#sync-state", has_text="All sent").wait_for()
    page.wait_for_timeout(500)  # a redraw after the sync would have happened by now
    page.keyboard.type("Cooking for friends")
    expect(page.get_by_label("Area that matters to them")).to_have_value("Cooking for friends")
    page.get_by_label("In their own words").fill("I'd like to cook a meal for my friends.")
    page.get_by_label("What we will see, hear or measure").fill("Cooks a meal for two friends at home")
    page.get_by_label("Social and economic wellbeing").check()
    page.get_by_role("button", name="Save outcome").click()
    expect(page.locator("section.outcome", has=page.get_by_role("heading", name="Cooking for friends"))).to_be_visible()
    page.locator("#sync-state", has_text="All sent").wait_for()
    with live.app.app_context():
        outcome = db.session.execute(select(Outcome).where(Outcome.domain == "Cooking for friends")).scalar_one()
        assert outcome.persons_words == "I'd like to cook a meal for my friends."
