"""Evidence out: the quarterly report, the CQC evidence pack, the person's summary, the subject
access export and FHIR. Thin: check access (server/domain/access.py), build the document's data
(server/domain/<document>.py), render it (server/documents.py)."""
from __future__ import annotations

import json
import re
from datetime import date, timedelta

from flask import Response, url_for
from flask_login import current_user, login_required
from flask_smorest import Blueprint
from marshmallow import fields, validates_schema

from .. import documents
from ..domain import access, audit, cqc_pack, dates, fhir, measures, person_summary, reports, subject_access
from ..domain.errors import Invalid, NotFound
from ..domain.outcomes import quarter_label, quarter_of
from ..models.wellbeing import WELLBEING_AREAS
from ..schemas.common import BaseInput, Choice, PlausibleDate, StrictSchema, Text, ValidationError

blp = Blueprint("evidence", __name__, url_prefix="/api/v1", description="Evidence out: reports, the CQC pack, summaries, subject access and FHIR")

for _name, _filter in documents.FILTERS.items():
    blp.add_app_template_filter(_filter, _name)


def _binary(*types: str, description: str) -> dict:
    return {"responses": {"200": {"description": description, "content": {t: {"schema": {"type": "string", "format": "binary"}} for t in types}}}}


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:60] or "document"


def _file(data: bytes | str, mimetype: str, filename: str, inline: bool = False) -> Response:
    response = Response(data, mimetype=mimetype)
    response.headers["Content-Disposition"] = f'{"inline" if inline else "attachment"}; filename="{filename}"'
    return response


def _html(html: str) -> Response:
    return Response(html, mimetype="text/html")


# ---- the Care Act areas of wellbeing ----

class WellbeingAreaOut(StrictSchema):
    code = fields.String()
    label = fields.String()
    easy_read = fields.String()
    paragraph = fields.String(metadata={"description": "The Care Act 2014 paragraph, e.g. 1(2)(a)"})


@blp.route("/wellbeing-areas")
@login_required
@blp.response(200, WellbeingAreaOut(many=True))
def wellbeing_areas():
    """The nine areas of wellbeing in the Care Act 2014, s.1(2), in the Act's order: the codes an
    outcome's `wellbeing_areas` takes."""
    return list(WELLBEING_AREAS)


# ---- the quarterly report ----

class ReportQuery(BaseInput):
    quarter = Text(7, load_default=None, metadata={"description": "YYYYQn; default the current quarter"})
    format = Choice(("html", "pdf", "csv", "xlsx"), load_default="html")
    table = Choice(reports.TABLE_NAMES, load_default="measures",
                          metadata={"description": "CSV only: which table (one tidy table per download); see README, Evidence out"})
    version = Choice(("anonymised", "named"), load_default="anonymised",
                            metadata={"description": "`named` (managers and senior leaders only) adds names and free text for internal use"})


def report_response(service_id: str, query: dict) -> Response:
    named = query["version"] == "named"
    service = access.report_service(current_user, service_id, named=named)
    year, q = measures.parse_quarter(query["quarter"]) if query["quarter"] else quarter_of(date.today())
    last = dates.latest().year
    if not dates.EARLIEST.year <= year <= last:
        raise Invalid(f"Give a quarter between {dates.EARLIEST.year} and {last}.",
                      fields={"quarter": [f"The year must be {dates.EARLIEST.year} to {last}."]})
    label = quarter_label(year, q)
    data = reports.build(current_user, service, year, q, named=named)
    audit.record(current_user, "view", "service_report", service.id, service_id=service.id, quarter=label,
                 format=query["format"], version=query["version"])
    base = f"{_slug(service.name)}-{label}-{'named' if named else 'anonymised'}"
    fmt = query["format"]
    if fmt in ("html", "pdf"):
        downloads = None
        if fmt == "html":
            link = lambda **kw: url_for("evidence.service_report", service_id=service.id, quarter=label, version=query["version"], **kw)  # noqa: E731
            downloads = {"pdf": link(format="pdf"), "xlsx": link(format="xlsx"), "csv": link(format="csv", table="measures")}
        html = documents.render_html("documents/report.html", report=data, downloads=downloads)
        if fmt == "html":
            return _html(html)
        return _file(documents.html_to_pdf(html), documents.PDF_MIMETYPE, f"{base}.pdf", inline=True)
    if fmt == "csv":
        cols, rows = reports.table(data, query["table"])
        return _file(documents.to_csv(cols, rows), documents.CSV_MIMETYPE, f"{base}-{query['table']}.csv")
    sheets = []
    for name in reports.TABLE_NAMES:
        cols, rows = reports.table(data, name)
        sheets.append({"name": reports.TABLES[name]["title"], "columns": cols, "rows": rows})
    title = f"{service.name}: quarterly outcomes report {label}"
    return _file(documents.to_xlsx(sheets, title=title), documents.XLSX_MIMETYPE, f"{base}.xlsx")


@blp.route("/services/<service_id>/report")
@login_required
@blp.arguments(ReportQuery, location="query")
@blp.doc(**_binary("text/html", "application/pdf", "text/csv", documents.XLSX_MIMETYPE,
                   description="The report as a page, a tagged PDF, one CSV table, or an Excel workbook"))
def service_report(query, service_id):
    """The quarterly commissioner report: every service measure with its n and the previous quarter
    beside it, the same by Care Act area of wellbeing, improved / same / worse in words, co-produced
    changes and their effects (95% intervals; association, not cause), feedback themes and how they
    moved, escalations counted, and how every figure was computed. Commissioners (their services),
    registered managers (their services), senior leaders (all). Anonymised unless `version=named`."""
    return report_response(service_id, query)


# ---- the CQC evidence pack ----

class CqcPackQuery(BaseInput):
    from_ = PlausibleDate(data_key="from", load_default=None, metadata={"description": "First day; default a year before `to`"})
    to = PlausibleDate(load_default=None, metadata={"description": "Last day; default today"})
    format = Choice(("html", "pdf"), load_default="html")

    @validates_schema
    def _period(self, data, **_):
        start, end = data.get("from_"), data.get("to")
        if start and end and end < start:
            raise ValidationError("Must be on or after `from`.", "to")
        if start and end and (end - start).days > cqc_pack.MAX_DAYS:
            raise ValidationError("The period can be at most three years.", "from")


@blp.route("/services/<service_id>/cqc-pack")
@login_required
@blp.arguments(CqcPackQuery, location="query")
@blp.doc(**_binary("text/html", "application/pdf", description="The pack as a page or a tagged PDF"))
def service_cqc_pack(query, service_id):
    """The CQC evidence pack, organised by quality statement (person-centred care; care provision,
    integration and continuity; learning culture; governance): outcomes reviewed and acted upon,
    shared with the person, goals in people's own words, feedback → theme → change → effect,
    escalations, the learning log, care-plan audits. Named; every item dated and traceable.
    Registered managers (their services) and senior leaders."""
    service = access.cqc_pack_service(current_user, service_id)
    end = query["to"] or date.today()
    start = query["from_"] or end - timedelta(days=365)
    if end < start:
        raise Invalid("The period ends before it starts.", fields={"to": ["Must be on or after `from`."]})
    data = cqc_pack.build(current_user, service, start, end)
    audit.record(current_user, "view", "cqc_pack", service.id, service_id=service.id, start=start.isoformat(), end=end.isoformat())
    downloads = None
    if query["format"] == "html":
        downloads = {"pdf": url_for("evidence.service_cqc_pack", service_id=service.id, format="pdf", to=end.isoformat(), **{"from": start.isoformat()})}
    html = documents.render_html("documents/cqc_pack.html", pack=data, downloads=downloads)
    if query["format"] == "html":
        return _html(html)
    return _file(documents.html_to_pdf(html), documents.PDF_MIMETYPE, f"{_slug(service.name)}-cqc-evidence-{start}-to-{end}.pdf", inline=True)


# ---- the person's own summary ----

class SummaryQuery(BaseInput):
    format = Choice(("html", "pdf"), load_default="html")


def _summary(person, fmt: str, downloads=None) -> tuple[str, bytes | None]:
    html = documents.render_html("documents/person_summary.html", summary=person_summary.build(person), downloads=downloads)
    return html, (documents.html_to_pdf(html) if fmt == "pdf" else None)


@blp.route("/people/<person_id>/summary")
@login_required
@blp.arguments(SummaryQuery, location="query")
@blp.doc(**_binary("text/html", "application/pdf", description="The easy-read summary as a page or a tagged PDF"))
def person_summary_document(query, person_id):
    """The person's easy-read summary in large type: their goals in their own words first, Then →
    Now on their picture scale, what happens next and who helps. Staff who can see the person, and
    the person themselves."""
    person = access.summary_person(current_user, person_id)
    audit.record(current_user, "view", "person_summary", person.id, person=person, format=query["format"])
    downloads = {"pdf": url_for("evidence.person_summary_document", person_id=person.id, format="pdf")} if query["format"] == "html" else None
    html, pdf = _summary(person, query["format"], downloads)
    if pdf is None:
        return _html(html)
    return _file(pdf, documents.PDF_MIMETYPE, f"my-goals-{date.today().isoformat()}.pdf", inline=True)


# ---- subject access ----

class ExportQuery(BaseInput):
    format = Choice(("json", "zip"), load_default="json",
                           metadata={"description": "`zip` adds the person's summary (PDF) and their FHIR record"})


@blp.route("/people/<person_id>/export")
@login_required
@blp.arguments(ExportQuery, location="query")
@blp.doc(**_binary("application/json", "application/zip", description="The subject access export"))
def subject_access_export(query, person_id):
    """A subject access export (UK GDPR Art. 15): one JSON document of everything held about the
    person, including the audit of who viewed and changed their record; `format=zip` adds their
    easy-read summary as a PDF and their FHIR record. Registered managers (their services) and
    admins (their organisation)."""
    person = access.export_person(current_user, person_id)
    audit.record(current_user, "view", "subject_access_export", person.id, person=person, format=query["format"])
    doc = subject_access.build(person, current_user)
    body = json.dumps(doc, indent=2, ensure_ascii=False)
    stem = f"subject-access-{person.id}-{date.today().isoformat()}"
    if query["format"] == "json":
        return _file(body, "application/json", f"{stem}.json")
    _, pdf = _summary(person, "pdf")
    files = {
        "README.txt": subject_access.README.encode(),
        "export.json": body.encode(),
        "summary.pdf": pdf,
        "fhir.json": json.dumps(fhir.bundle(person), indent=2, ensure_ascii=False).encode(),
    }
    return _file(documents.to_zip(files), documents.ZIP_MIMETYPE, f"{stem}.zip")


# ---- FHIR ----

@blp.route("/people/<person_id>/fhir")
@login_required
@blp.doc(**_binary("application/fhir+json", description="A FHIR R4 Bundle of type collection"))
def person_fhir(person_id):
    """The person's record as a FHIR R4 `Bundle` (type `collection`): a minimal `Patient`, a `Goal`
    per outcome, an `Observation` per review (valueInteger 1-5 on the app's progress scale), and a
    `CarePlan` linking goals and actions. Staff who can see the person."""
    person = access.fhir_person(current_user, person_id)
    audit.record(current_user, "view", "fhir", person.id, person=person)
    body = json.dumps(fhir.bundle(person), ensure_ascii=False)
    response = Response(body, mimetype="application/fhir+json")
    response.headers["Content-Disposition"] = f'inline; filename="fhir-{person.id}.json"'
    return response


@blp.route("/fhir/CodeSystem/<name>")
@blp.doc(responses={"200": {"description": "A FHIR R4 CodeSystem", "content": {"application/fhir+json": {"schema": {"type": "object"}}}}})
def fhir_code_system(name):
    """The code systems the app's FHIR records use: `progress-scale` (the 1-5 picture scale) and
    `care-act-wellbeing` (the nine areas of wellbeing). Public: they hold no personal data."""
    resource = fhir.code_system(name) if name in fhir.CODE_SYSTEMS else None
    if resource is None:
        raise NotFound("No such code system.", fields={"name": [f"One of: {', '.join(fhir.CODE_SYSTEMS)}."]})
    return Response(json.dumps(resource, ensure_ascii=False), mimetype="application/fhir+json")
