"""The quarterly commissioner report in every format, read back as the commissioner's software
reads it: the CSV with csv, the workbook with openpyxl, the PDF with pypdf. A commissioner's
download of any format holds none of the demo people's names and none of the free-text notes."""
from __future__ import annotations

import re
from datetime import date, datetime, timedelta, timezone

import pytest
from sqlalchemy import select

from server.domain import evidence_sources
from server.domain.outcomes import quarter_of
from server.domain.reports import TABLE_NAMES, TABLES
from server.extensions import db
from server.models import (
    Action,
    Change,
    EvidenceNote,
    FeedbackConversation,
    Outcome,
    Person,
    Review,
    ServiceEvent,
    Theme,
    WeeklyCheck,
)
from tests import factories
from tests.documents import Pdf, has_ink, read_csv, read_xlsx, squash, xlsx_text

FORMATS = ("html", "pdf", "csv", "xlsx")


def previous_quarter() -> str:
    y, q = quarter_of(date.today())
    return f"{y - 1}Q4" if q == 1 else f"{y}Q{q - 1}"


def services(api) -> dict[str, dict]:
    return {s["kind"]: s for s in api.get("/api/v1/services").get_json()}


def secrets_of(app) -> tuple[list[str], list[str]]:
    """Every name (people supported and staff) and every free-text note in the database."""
    with app.app_context():
        names = set()
        for name, preferred in db.session.execute(select(Person.name, Person.preferred_name)):
            names.add(name)
            names.update(w for w in name.split() + ([preferred] if preferred else []) if len(w) >= 3)
        texts = set()
        for column in (EvidenceNote.text, Review.what_changed, Review.support_adjustment, Outcome.persons_words, Outcome.domain,
                       Outcome.indicator, Action.description, Change.description, Change.co_produced_with, WeeklyCheck.note,
                       ServiceEvent.note, FeedbackConversation.works_well, FeedbackConversation.feels_difficult,
                       FeedbackConversation.would_change, FeedbackConversation.participants):
            texts.update(t for t in db.session.execute(select(column)).scalars() if t and len(t) >= 12)
        return sorted(names), sorted(texts)


def assert_anonymous(text: str, names, texts, where: str):
    text = squash(text)
    for name in names:
        assert not re.search(rf"\b{re.escape(name)}\b", text), f"{where}: the name {name!r} appears"
    for note in texts:
        assert squash(note) not in text, f"{where}: the note {note!r} appears"


def download(api, service_id, fmt, **params):
    query = "&".join(f"{k}={v}" for k, v in {"quarter": previous_quarter(), "format": fmt, **params}.items())
    r = api.get(f"/api/v1/services/{service_id}/report?{query}")
    assert r.status_code == 200, (fmt, params, r.status_code, r.get_data(as_text=True)[:500])
    assert r.headers["Cache-Control"] == "no-store"
    return r


# ---- what the commissioner gets ----

def test_commissioners_downloads_in_every_format_hold_no_names_and_no_notes(demo, api_for):
    names, texts = secrets_of(demo)
    assert "Sam Taylor" in names and "Travelled alone to GP appointment" in texts
    api = api_for("commissioner@demo.example")
    for kind, service in services(api).items():
        html = download(api, service["id"], "html").get_data(as_text=True)
        assert_anonymous(re.sub(r"<[^>]+>", " ", html), names, texts, f"{kind} html")
        assert "No names or notes appear in this report" in html
        pdf = Pdf(download(api, service["id"], "pdf").data)
        assert_anonymous(pdf.text, names, texts, f"{kind} pdf")
        workbook = download(api, service["id"], "xlsx").data
        assert_anonymous(xlsx_text(workbook), names, texts, f"{kind} xlsx")
        for table in TABLE_NAMES:
            data = download(api, service["id"], "csv", table=table).data
            assert_anonymous(data.decode("utf-8-sig"), names, texts, f"{kind} csv {table}")
    # The residential service's changes are numbered, never described.
    html = download(api, services(api)["residential"]["id"], "html").get_data(as_text=True)
    assert "Change C1" in html and "Quieter breakfast time" not in html


def test_commissioner_cannot_have_the_named_version(demo, api_for):
    api = api_for("commissioner@demo.example")
    sid = services(api)["supported_living"]["id"]
    r = api.get(f"/api/v1/services/{sid}/report?format=csv&version=named")
    assert r.status_code == 403
    assert r.get_json()["error"]["code"] == "forbidden"


def test_the_report_states_improved_same_and_worse_in_words_and_numbers(demo, api_for):
    api = api_for("commissioner@demo.example")
    sid = services(api)["supported_living"]["id"]
    html = download(api, sid, "html").get_data(as_text=True)
    found = re.search(r"(\d+) of (\d+) outcomes? got worse this quarter", html)
    assert found, "the plain sentence about outcomes that got worse"
    worse, compared = int(found.group(1)), int(found.group(2))
    _, rows = read_csv(download(api, sid, "csv", table="measures").data)
    by = {r["measure"]: r for r in rows}
    assert int(by["outcomes_worse"]["value"]) == worse and int(by["outcomes_worse"]["n"]) == compared
    assert int(by["outcomes_improved"]["value"]) + int(by["outcomes_same"]["value"]) + worse == compared
    assert re.search(rf"{int(by['outcomes_same']['value']) + worse} of {compared} outcomes? did not improve", html)
    # Every measure has the previous quarter beside it, and a change in words.
    for row in rows:
        assert row["previous_quarter"] and row["change_in_words"], row
    assert "association, not cause" in html
    assert "How every figure was computed" in html


def test_csv_tables_are_tidy_with_documented_columns_and_real_numbers(demo, api_for):
    api = api_for("manager@demo.example")
    sid = services(api)["supported_living"]["id"]
    for table in TABLE_NAMES:
        r = download(api, sid, "csv", table=table)
        assert r.mimetype == "text/csv"
        assert r.headers["Content-Disposition"].startswith("attachment;") and f"-{table}.csv" in r.headers["Content-Disposition"]
        header, rows = read_csv(r.data)
        assert header == [c for c, _ in TABLES[table]["columns"]], table
    _, outcomes = read_csv(download(api, sid, "csv", table="outcomes").data)
    assert outcomes and all(re.fullmatch(r"O-[A-Z2-7]{8}", o["outcome_ref"]) for o in outcomes)
    assert all(o["direction"] in {"improved", "same", "worse", "single_review"} for o in outcomes)
    for o in outcomes:
        if o["direction"] != "single_review":
            assert int(o["last_score"]) - int(o["first_score"]) == int(o["change"])
    # The same report gives the same pseudonyms every time, in every format.
    _, again = read_csv(download(api, sid, "csv", table="outcomes").data)
    assert [o["outcome_ref"] for o in again] == [o["outcome_ref"] for o in outcomes]
    sheet = read_xlsx(download(api, sid, "xlsx").data)[TABLES["outcomes"]["title"]]
    assert sorted(sheet.cell(row=i, column=1).value for i in range(2, sheet.max_row + 1)) == sorted(o["outcome_ref"] for o in outcomes)
    # ... and different ones for another quarter.
    y, q = quarter_of(date.today())
    _, current = read_csv(download(api, sid, "csv", table="outcomes", quarter=f"{y}Q{q}").data)
    assert not {o["outcome_ref"] for o in current} & {o["outcome_ref"] for o in outcomes}
    # Methods: every column of every table is explained.
    _, methods = read_csv(download(api, sid, "csv", table="methods").data)
    explained = {(m["table"], m["item"]) for m in methods}
    for table, spec in TABLES.items():
        for column, _ in spec["columns"]:
            assert (table, column) in explained


def test_the_workbook_has_a_sheet_per_section_real_numbers_and_frozen_headers(demo, api_for):
    api = api_for("commissioner@demo.example")
    sid = services(api)["residential"]["id"]
    r = download(api, sid, "xlsx")
    assert r.mimetype == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    wb = read_xlsx(r.data)
    assert wb.sheetnames == [TABLES[t]["title"] for t in TABLE_NAMES]
    for ws in wb:
        assert ws.freeze_panes == "A2", ws.title
        assert ws["A1"].font.bold
    measures = wb[TABLES["measures"]["title"]]
    header = [c.value for c in measures[1]]
    values = {row[0]: row for row in measures.iter_rows(min_row=2, values_only=True)}
    people = values["people_supported"][header.index("value")]
    assert isinstance(people, int) and people == 6
    rate = values["community_participation_per_person_month"][header.index("value")]
    assert isinstance(rate, float) and rate > 0
    changes = wb[TABLES["changes"]["title"]]
    ch_header = [c.value for c in changes[1]]
    incidents = [row for row in changes.iter_rows(min_row=2, values_only=True) if row[ch_header.index("measure")] == "incidents"]
    assert incidents and all(isinstance(row[ch_header.index("before")], (int, float)) for row in incidents)
    breakfast = [row for row in incidents if row[ch_header.index("enough_data")] == 1 and row[ch_header.index("estimate")] is not None]
    assert any(row[ch_header.index("estimate")] < 1 and row[ch_header.index("ci95_high")] < 1 for row in breakfast), \
        "incidents fell after the quieter breakfast, with an interval below 1"
    assert "Methods" in wb.sheetnames


def test_the_pdf_is_tagged_and_has_the_service_quarter_and_page_numbers_on_every_page(demo, api_for):
    api = api_for("commissioner@demo.example")
    service = services(api)["domiciliary"]
    r = download(api, service["id"], "pdf")
    assert r.mimetype == "application/pdf"
    assert r.headers["Content-Disposition"].startswith("inline;")
    pdf = Pdf(r.data)
    assert pdf.tagged, "a tagged PDF (MarkInfo /Marked true and a StructTreeRoot)"
    assert pdf.language == "en-GB"
    assert pdf.title and service["name"] in pdf.title
    total = len(pdf.pages)
    assert total >= 2
    for i, page in enumerate(pdf.pages, start=1):
        text = squash(page)
        assert service["name"] in text and previous_quarter() in text, i
        assert f"Page {i} of {total}" in text
    assert "Service measures" in pdf.text and "Feeling rushed" in pdf.text
    assert "Co-produced changes and their effects" in pdf.text and "association, not cause" in pdf.text
    # Test-only: the pages as pictures, to look at while developing.
    pngs = pdf.render_pngs("report-domiciliary-anonymised")
    assert len(pngs) == total and all(has_ink(p) for p in pngs)


def test_figures_are_grouped_by_care_act_wellbeing_area(demo, api_for):
    api = api_for("manager@demo.example")
    sid = services(api)["supported_living"]["id"]
    _, outcomes = read_csv(download(api, sid, "csv", table="outcomes").data)
    _, areas = read_csv(download(api, sid, "csv", table="wellbeing").data)
    by_area = {a["area"]: a for a in areas}
    assert list(by_area)[:9] == ["dignity", "health", "protection", "control", "participation", "social_economic",
                                 "relationships", "accommodation", "contribution"]
    for code, row in by_area.items():
        mine = [o for o in outcomes if (code in o["wellbeing_areas"].split(";") if code != "none" else not o["wellbeing_areas"])]
        assert int(row["outcomes_reviewed"]) == len(mine), code
        for direction in ("improved", "same", "worse", "single_review"):
            assert int(row[direction]) == sum(1 for o in mine if o["direction"] == direction), (code, direction)
    assert int(by_area["control"]["outcomes_reviewed"]) > 0
    html = download(api, sid, "html").get_data(as_text=True)
    assert "By area of wellbeing (Care Act 2014, section 1(2))" in html
    assert re.search(r"Control over day-to-day life: \d+ of \d+ outcomes? improved", html)


def test_managers_named_version_has_names_and_descriptions(demo, api_for):
    api = api_for("manager@demo.example")
    kinds = services(api)
    html = download(api, kinds["residential"]["id"], "html", version="named").get_data(as_text=True)
    assert "Quieter breakfast time" in html and "Named internal version" in html
    _, outcomes = read_csv(download(api, kinds["supported_living"]["id"], "csv", table="outcomes", version="named").data)
    assert {"Sam Taylor", "Jordan Lee"} <= {o["person_name"] for o in outcomes}
    assert "Confidence using buses" in {o["outcome"] for o in outcomes}
    senior = api_for("senior@demo.example")
    assert download(senior, kinds["supported_living"]["id"], "pdf", version="named").mimetype == "application/pdf"


def test_theme_labels_holding_a_name_are_numbered_for_commissioners(demo, api_for):
    manager = api_for("manager@demo.example")
    sid = services(manager)["domiciliary"]["id"]
    with demo.app_context():
        org = db.session.execute(select(Person.organisation_id).limit(1)).scalar_one()
        margaret = db.session.execute(select(Person).where(Person.name == "Margaret Ellis")).scalar_one()
        theme = Theme(organisation_id=org, name="Margaret's keysafe")
        day = date.today() - timedelta(days=100)
        fb = FeedbackConversation(person_id=margaret.id, happened_at=datetime(day.year, day.month, day.day, 12, tzinfo=timezone.utc),
                                  works_well="a", feels_difficult="b", would_change="c", reviewed_at=datetime.now(timezone.utc))
        fb.themes = [theme]
        db.session.add_all([theme, fb])
        db.session.commit()
    _, named = read_csv(download(manager, sid, "csv", table="themes", version="named").data)
    assert "Margaret's keysafe" in {t["theme"] for t in named}
    commissioner = api_for("commissioner@demo.example")
    _, anonymous = read_csv(download(commissioner, sid, "csv", table="themes").data)
    labels = {t["theme"] for t in anonymous}
    assert "Feeling rushed" in labels and not any("Margaret" in label for label in labels)
    assert any(re.fullmatch(r"Theme \d+", label) for label in labels)


def test_escalations_are_counted_from_their_provider(demo, api_for, monkeypatch):
    api = api_for("commissioner@demo.example")
    sid = services(api)["supported_living"]["id"]
    html = download(api, sid, "html").get_data(as_text=True)
    # The demo's own escalations, counted from the governance records for the report's quarter.
    from server.domain.outcomes import quarter_bounds

    year, q = int(previous_quarter()[:4]), int(previous_quarter()[-1])
    with demo.app_context():
        real = evidence_sources.escalation_counts(sid, *quarter_bounds(year, q))["raised"]
    assert f"{real} escalation{'' if real == 1 else 's'} raised this quarter" in html
    # The report reads escalations only through evidence_sources: what it returns is what shows.
    monkeypatch.setattr(evidence_sources, "escalation_counts", lambda service_id, start, end: {
        "raised": 3, "acknowledged": 2, "answered": 1, "open": 1, "by_rule": {"deterioration": 2, "stagnation": 1, "overdue": 0}})
    html = download(api, sid, "html").get_data(as_text=True)
    assert "3 escalations raised this quarter" in html and "1 answered, 1 still open" in html
    _, rows = read_csv(download(api, sid, "csv", table="escalations").data)
    assert {(r["quarter"], r["rule"], r["raised"]) for r in rows} >= {(previous_quarter(), "all", "3"), (previous_quarter(), "deterioration", "2")}


def test_the_print_ready_page_is_the_html_format(demo, api_for):
    api = api_for("commissioner@demo.example")
    sid = services(api)["supported_living"]["id"]
    page = api.get(f"/reports/services/{sid}?quarter={previous_quarter()}")
    assert page.status_code == 200
    assert page.get_data(as_text=True) == download(api, sid, "html").get_data(as_text=True)
    assert '<link rel="stylesheet" href="/static/css/documents.css">' in page.get_data(as_text=True)


@pytest.mark.parametrize("query,field", [
    ("quarter=2026-3", "quarter"), ("quarter=0000Q1", "quarter"), ("quarter=9999Q4", "quarter"), ("format=docx", "format"), ("format=csv&table=people", "table"),
    ("version=everything", "version"),
])
def test_bad_report_queries_name_the_field(app, api_for, query, field):
    ids = factories.organisation(app, "Alpha")
    r = api_for(ids["registered_manager"]).get(f"/api/v1/services/{ids['service']}/report?{query}")
    assert r.status_code == 422, r.get_json()
    assert field in r.get_json()["error"]["fields"]


def test_report_statements_do_not_grow_with_the_people(app, api_for):
    """Set-wise: the report costs the same number of statements for 3 people as for 30."""
    from sqlalchemy import event

    ids = factories.organisation(app, "Alpha")
    api = api_for(ids["registered_manager"])
    y, q = quarter_of(date.today())

    def add_people(n):
        with app.app_context():
            for i in range(n):
                p = Person(organisation_id=ids["org"], service_id=ids["service"], name=f"Extra {i}")
                db.session.add(p)
                db.session.flush()
                o = Outcome(person_id=p.id, domain="Goal", persons_words="w", indicator="i", target="", starts_on=date.today() - timedelta(days=200),
                            review_by=date.today() + timedelta(days=100))
                o.wellbeing_areas = ["control"]
                db.session.add(o)
                db.session.flush()
                for d in (1, 2):
                    db.session.add(Review(outcome_id=o.id, person_id=p.id, score=2 + d, rated_by="together",
                                          happened_at=datetime.now(timezone.utc) - timedelta(days=d)))
            db.session.commit()

    def count():
        statements = []
        with app.app_context():
            engine = db.engine
            listener = lambda *args: statements.append(args[2])  # noqa: E731
            event.listen(engine, "before_cursor_execute", listener)
            try:
                assert api.get(f"/api/v1/services/{ids['service']}/report?quarter={y}Q{q}&format=csv&table=outcomes").status_code == 200
            finally:
                event.remove(engine, "before_cursor_execute", listener)
        return len(statements)

    add_people(3)
    small = count()
    add_people(27)
    assert count() == small
