"""Importing people from a spreadsheet: a dry run reports every row's problems and creates nothing;
a real run creates everyone in one transaction, or nobody."""
from __future__ import annotations

import csv
import io
from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from server.extensions import db
from server.models import AuditEvent, CaseloadAssignment, Person, Service
from tests import factories
from tests.test_people_admin import add_worker, works_in
from tests.test_sync import pull_all

URL = "/api/v1/imports/people"
HEADER = "name,service,keyworker_emails,started_on"
TODAY = date.today()


@pytest.fixture
def org(app):
    """Oak House (the manager's, where the worker works) and Elm Court (not the manager's)."""
    ids = factories.organisation(app, "Org", services=("supported_living", "residential"))
    with app.app_context():
        oak, elm = (db.session.get(Service, s) for s in ids["services"])
        oak.name, elm.name = "Oak House", "Elm Court"
        db.session.commit()
    ids["oak"], ids["elm"] = ids["services"]
    works_in(app, ids["support_worker"], ids["oak"])
    return ids


def send(api, text, dry_run=True, encoding="utf-8", content_type="text/csv"):
    data = text.encode(encoding) if isinstance(text, str) else text
    return api.client.post(f"{URL}?dry_run={'true' if dry_run else 'false'}", data=data,
                           headers=api._h({"Content-Type": content_type}))


def people_count(app):
    with app.app_context():
        return db.session.execute(select(func.count()).select_from(Person)).scalar_one()


def csv_text(rows, header=HEADER, newline="\r\n"):
    out = io.StringIO(newline="")
    writer = csv.writer(out, lineterminator=newline)
    writer.writerow(header.split(","))
    writer.writerows(rows)
    return out.getvalue()


def good_rows(org):
    return [
        ["Ada Lovelace", "Oak House", org["support_worker"], "01/03/2026"],
        ["Ben Okri", "oak  house ", "", "2026-02-14"],
        ["Cara Dillon, Jr", "OAK HOUSE", f"{org['support_worker']}; {org['registered_manager']}", ""],
    ]


# ---- dry run and real run ----

def test_a_dry_run_previews_and_creates_nothing_then_the_real_run_creates_everyone(app, api_for, org):
    manager = api_for(org["registered_manager"])
    text = csv_text(good_rows(org))
    r = send(manager, text)
    assert r.status_code == 200, r.get_json()
    body = r.get_json()
    assert body["dry_run"] is True and body["rows"] == 3 and body["created"] == 0 and body["errors"] == []
    assert [p["name"] for p in body["people"]] == ["Ada Lovelace", "Ben Okri", "Cara Dillon, Jr"]
    assert body["people"][2]["keyworkers"] == ["Org support_worker", "Org registered_manager"]
    assert body["people"][0]["started_on"] == "2026-03-01"
    assert people_count(app) == 2

    worker = api_for(org["support_worker"])
    _, cursor, _ = pull_all(worker)
    r = send(manager, text, dry_run=False)
    assert r.status_code == 201, r.get_json()
    assert r.get_json()["created"] == 3
    with app.app_context():
        made = {p.name: p for p in db.session.execute(select(Person).where(Person.service_id == org["oak"])).scalars()}
        assert made["Ada Lovelace"].joined_on == date(2026, 3, 1) and made["Ben Okri"].joined_on == date(2026, 2, 14)
        assert made["Cara Dillon, Jr"].joined_on is None and made["Ada Lovelace"].organisation_id == org["org"]
        caseload = set(db.session.execute(select(CaseloadAssignment.user_id, CaseloadAssignment.person_id)).all())
        assert (org["support_worker_id"], made["Ada Lovelace"].id) in caseload
        assert (org["registered_manager_id"], made["Cara Dillon, Jr"].id) in caseload
        creates = db.session.execute(select(func.count()).select_from(AuditEvent).where(
            AuditEvent.action == "create", AuditEvent.entity == "person")).scalar_one()
        assert creates == 3
    # The keyworker's next pull brings the new people on their caseload.
    state, _, _ = pull_all(worker, cursor)
    names = {v["name"] for (entity, _), v in state.items() if entity == "person"}
    assert names == {"Ada Lovelace", "Cara Dillon, Jr"}
    assert sum(1 for (entity, _) in state if entity == "caseload") == 2


def test_a_file_with_one_bad_row_reports_it_and_creates_nothing(app, api_for, org):
    manager = api_for(org["registered_manager"])
    rows = good_rows(org)
    rows[1][1] = "Oak Hse"
    text = csv_text(rows)
    body = send(manager, text).get_json()
    assert body["errors"] == [{"row": 3, "field": "service", "message": "No service called 'Oak Hse'"}]
    assert body["people"] == [] and body["created"] == 0
    r = send(manager, text, dry_run=False)
    assert r.status_code == 422
    error = r.get_json()["error"]
    assert error["errors"] == body["errors"] and error["created"] == 0 and "file" in error["fields"]
    assert people_count(app) == 2
    with app.app_context():
        assert db.session.execute(select(func.count()).select_from(CaseloadAssignment)).scalar_one() == 1


def test_every_problem_of_every_row_is_reported_with_spreadsheet_row_numbers(app, api_for, org):
    add_worker(app, org, "gone@org.example", org["oak"], active=False)
    add_worker(app, org, "elm@org.example", org["elm"])
    manager = api_for(org["registered_manager"])
    text = csv_text([
        ["Ada Lovelace", "Oak House", "", "01/03/2026"],        # 2: fine
        ["", "Oak House", "", ""],                              # 3: no name
        ["Bo", "Elm Court", "", ""],                            # 4: not the manager's service
        ["Cy", "", "", ""],                                     # 5: no service
        ["Di", "Oak House", "nobody@org.example", ""],          # 6: unknown email
        ["Ed", "Oak House", "gone@org.example", ""],            # 7: inactive
        ["Fi", "Oak House", "elm@org.example", ""],             # 8: does not work there
        ["Gu", "Oak House", org["commissioner"], ""],           # 9: not a worker
        ["Hal", "Oak House", "not an email", ""],               # 10: not an email
        ["Ida", "Oak House", "", "31/02/2026"],                 # 11: no such date
        ["Jo", "Oak House", "", "03/01/26"],                    # 12: short year
        ["Kay", "Oak House", "", "next week"],                  # 13: not a date
        ["Lu", "Oak House", "", "01/01/1850"],                  # 14: implausible
        ["ada lovelace", "Oak House", "", ""],                  # 15: repeats row 2
        ["Org Person One", "Oak House", "", ""],                # 16: already supported there
        ["x" * 201, "Oak House", "", ""],                       # 17: too long
        ["Mo", "Oak House", "", "", "surplus"],                 # 18: an extra cell
    ])
    body = send(manager, text).get_json()
    found = {(e["row"], e["field"]) for e in body["errors"]}
    assert found == {
        (3, "name"), (4, "service"), (5, "service"), (6, "keyworker_emails"), (7, "keyworker_emails"),
        (8, "keyworker_emails"), (9, "keyworker_emails"), (10, "keyworker_emails"), (11, "started_on"),
        (12, "started_on"), (13, "started_on"), (14, "started_on"), (15, "name"), (16, "name"), (17, "name"), (18, "columns"),
    }
    messages = {(e["row"], e["field"]): e["message"] for e in body["errors"]}
    assert "Elm Court" in messages[(4, "service")] and "row 2" in messages[(15, "name")]
    assert "does not work in 'Oak House'" in messages[(8, "keyworker_emails")]
    assert [e["row"] for e in body["errors"]] == sorted(e["row"] for e in body["errors"])
    assert body["error_count"] == 16 and body["rows"] == 17
    assert people_count(app) == 2


def test_an_admin_imports_into_any_service_of_the_organisation(app, api_for, org):
    admin = api_for(org["admin"])
    r = send(admin, csv_text([["Bo", "Elm Court", "", ""], ["Cy", "Oak House", org["support_worker"], ""]]), dry_run=False)
    assert r.status_code == 201, r.get_json()
    with app.app_context():
        bo = db.session.execute(select(Person).where(Person.name == "Bo")).scalar_one()
        assert bo.service_id == org["elm"] and bo.weekly_checks is True  # a residential service
        assert db.session.execute(select(Person).where(Person.name == "Cy")).scalar_one().weekly_checks is False


# ---- the file itself ----

@pytest.mark.parametrize("prefix, newline", [("\ufeff", "\r\n"), ("", "\r\n"), ("", "\n")])
def test_utf8_with_or_without_the_excel_bom_and_uk_dates(app, api_for, org, prefix, newline):
    manager = api_for(org["registered_manager"])
    text = prefix + csv_text([["Zoë Ní Bhriain", "Oak House", "", "09/06/2025"],
                              ["Line\nbreak", "Oak House", "", "1/2/2026"]], newline=newline)
    r = send(manager, text, dry_run=False)
    assert r.status_code == 201, r.get_json()
    with app.app_context():
        zoe = db.session.execute(select(Person).where(Person.name == "Zoë Ní Bhriain")).scalar_one()
        assert zoe.joined_on == date(2025, 6, 9)
        assert db.session.execute(select(Person).where(Person.name == "Line break")).scalar_one().joined_on == date(2026, 2, 1)


def test_headers_in_another_order_and_spelling_blank_rows_and_semicolons(app, api_for, org):
    manager = api_for(org["registered_manager"])
    text = "Started On;Name;Keyworker Emails;SERVICE\r\n;;;\r\n01/03/2026;Ada;;Oak House\r\n\r\n;Ben;;Oak House\r\n"
    body = send(manager, text).get_json()
    assert body["errors"] == [] and [(p["row"], p["name"]) for p in body["people"]] == [(3, "Ada"), (5, "Ben")]


@pytest.mark.parametrize("header, field", [
    ("name,service,keyworker_emails", "started_on"),
    ("name,service,keyworker_emails,started_on,date_of_birth", "date_of_birth"),
    ("name,service,service,keyworker_emails,started_on", "service"),
    ("full name,service,keyworker_emails,started_on", "full_name"),
])
def test_missing_extra_or_repeated_columns_refuse_the_file_naming_the_column(app, api_for, org, header, field):
    manager = api_for(org["registered_manager"])
    for dry_run in (True, False):
        r = send(manager, header + "\r\nAda,Oak House,,,\r\n", dry_run=dry_run)
        assert r.status_code == 422, r.get_json()
        assert field in r.get_json()["error"]["fields"]
    assert people_count(app) == 2


@pytest.mark.parametrize("data, field", [
    ("name,service,keyworker_emails,started_on\r\nZoë,Oak House,,\r\n".encode("cp1252"), "file"),
    (b"\xff\xfe" + "name,service".encode("utf-16-le"), "file"),
    (b"", "file"),
    (b"   \r\n", "file"),
    (HEADER.encode() + b"\r\n", "file"),
    (HEADER.encode() + b"\r\n\"Ada,Oak House,,\r\n", "file"),
])
def test_bad_files_are_a_422_naming_the_file(app, api_for, org, data, field):
    manager = api_for(org["registered_manager"])
    r = send(manager, data)
    assert r.status_code == 422, r.get_json()
    assert field in r.get_json()["error"]["fields"]


def test_a_file_with_nul_or_control_characters_is_reported_not_stored(app, api_for, org):
    manager = api_for(org["registered_manager"])
    body = send(manager, f"{HEADER}\r\nAda\x00,Oak House,,\r\n").get_json()
    assert [(e["row"], e["field"]) for e in body["errors"]] == [(2, "name")]


def test_multipart_upload_and_content_types(app, api_for, org):
    manager = api_for(org["registered_manager"])
    data = {"file": (io.BytesIO(csv_text(good_rows(org)).encode()), "people.csv", "text/csv")}
    r = manager.client.post(f"{URL}?dry_run=false", data=data, headers=manager._h(), content_type="multipart/form-data")
    assert r.status_code == 201, r.get_json()
    assert r.get_json()["created"] == 3
    r = manager.client.post(URL, data={}, headers=manager._h(), content_type="multipart/form-data")
    assert r.status_code == 422 and "file" in r.get_json()["error"]["fields"]
    r = manager.post(URL, json={"name": "Ada"})
    assert r.status_code == 415 and "file" in r.get_json()["error"]["fields"]
    assert send(manager, "x", content_type="application/vnd.ms-excel").status_code == 422  # read, then refused by name
    assert manager.client.post(f"{URL}?dry_run=maybe", data=b"x", headers=manager._h({"Content-Type": "text/csv"})).status_code == 422


@pytest.mark.parametrize("role", ["support_worker", "senior_leader", "commissioner", "person_email"])
def test_only_managers_and_admins_may_import(app, api_for, org, role):
    api = api_for(org[role])
    assert send(api, csv_text(good_rows(org)), dry_run=False).status_code == 403
    assert api.get(f"{URL}/template").status_code == 403
    assert people_count(app) == 2


def test_import_needs_sign_in_and_the_csrf_token(app, api_for, anon, org):
    assert anon.client.post(URL, data=b"x", headers={"Content-Type": "text/csv"}).status_code in (401, 403)
    manager = api_for(org["registered_manager"])
    r = manager.client.post(f"{URL}?dry_run=false", data=csv_text(good_rows(org)).encode(), headers={"Content-Type": "text/csv"})
    assert r.status_code == 403 and people_count(app) == 2


def test_another_organisations_services_and_staff_are_unknown(app, api_for, org):
    other = factories.organisation(app, "Other")
    works_in(app, other["support_worker"], other["service"])
    manager = api_for(org["registered_manager"])
    body = send(manager, csv_text([["Ada", "Other supported_living", "", ""],
                                   ["Ben", "Oak House", other["support_worker"], ""]])).get_json()
    assert [(e["row"], e["field"]) for e in body["errors"]] == [(2, "service"), (3, "keyworker_emails")]
    assert "No service called" in body["errors"][0]["message"] and "No staff account" in body["errors"][1]["message"]


def test_the_template_is_a_csv_excel_opens_and_the_import_reads(app, api_for, org):
    manager = api_for(org["registered_manager"])
    r = manager.get(f"{URL}/template")
    assert r.status_code == 200 and r.mimetype == "text/csv"
    assert "attachment" in r.headers["Content-Disposition"]
    assert r.data.startswith("\ufeff".encode())
    rows = list(csv.reader(io.StringIO(r.data.decode("utf-8-sig"))))
    assert rows[0] == ["name", "service", "keyworker_emails", "started_on"] and len(rows) == 2
    assert rows[1][1] == "Oak House"
    # The example row only fails on its placeholder emails.
    body = send(manager, r.data).get_json()
    assert {e["field"] for e in body["errors"]} == {"keyworker_emails"}


def test_two_thousand_rows_are_all_created(app, api_for, org):
    """(Timing is measured by bench/import_people.py, not here.)"""
    manager = api_for(org["registered_manager"])
    rows = [[f"Person {i:04d}", "Oak House", org["support_worker"] if i % 2 else "",
             (TODAY - timedelta(days=i % 400)).strftime("%d/%m/%Y")] for i in range(2000)]
    r = send(manager, csv_text(rows), dry_run=False)
    assert r.status_code == 201, r.get_json()
    assert r.get_json()["created"] == 2000
    with app.app_context():
        names = set(db.session.execute(select(Person.name).where(Person.service_id == org["oak"])).scalars())
        assert {f"Person {i:04d}" for i in range(2000)} <= names
        assert db.session.execute(select(func.count()).select_from(CaseloadAssignment)).scalar_one() == 1 + 1000
        seqs = db.session.execute(select(Person.seq).where(Person.name.like("Person %"))).scalars().all()
        assert len(set(seqs)) == 2000 and min(seqs) > 0
    worker = api_for(org["support_worker"])
    state, _, _ = pull_all(worker)
    assert sum(1 for (entity, _) in state if entity == "person") == 1 + 1000
