"""Bulk imports from a spreadsheet: people, with their keyworkers (managers for their services,
admins for the organisation). The file format is described in server/domain/imports.py."""
from __future__ import annotations

from flask import Response, request
from flask_login import current_user, login_required
from flask_smorest import Blueprint
from marshmallow import fields

from ..domain import imports as domain
from ..domain.errors import Invalid, Unsupported
from ..extensions import db
from ..schemas.common import BaseInput, StrictSchema

blp = Blueprint("imports", __name__, url_prefix="/api/v1/imports", description="Import people from a spreadsheet (CSV)")

CSV_TYPES = {"text/csv", "application/csv", "text/plain", "application/vnd.ms-excel", "application/octet-stream"}

FILE_FORMAT = """
The body is the CSV file itself (`Content-Type: text/csv`), or a `multipart/form-data` upload with
the file in the field `file`. UTF-8, with or without the byte-order mark Excel writes ("CSV UTF-8").
The header row names the columns `name, service, keyworker_emails, started_on` (any order; a missing
or unknown column is a 422 naming it):

- `name`: required, at most 200 characters.
- `service`: a service of the organisation by name (case and spacing do not matter); managers may
  import only into services they manage.
- `keyworker_emails`: may be blank; emails separated by `;` or `,` inside the cell, each an active
  support worker or manager who works in that service. They get the person on their caseload.
- `started_on`: may be blank; `01/03/2026` (day first) or `2026-03-01`.

Row numbers are the spreadsheet's (the header is row 1). A name already supported by that service,
or repeated for the same service in the file, is an error. People of residential services get
weekly checks switched on. `dry_run=true` (the default) reports every problem and creates nothing;
`dry_run=false` creates everyone in one transaction, or nobody (422, with the same `errors` list
inside `error`) when any row has a problem. `GET /api/v1/imports/people/template` gives a template.
"""


class ImportQuery(BaseInput):
    dry_run = fields.Boolean(load_default=True, metadata={"description": "true (default): check only, create nothing"})


class RowError(StrictSchema):
    row = fields.Integer(metadata={"description": "Spreadsheet row number; the header is row 1"})
    field = fields.String(metadata={"description": "The column (or `columns` for the row's shape)"})
    message = fields.String()


class ImportedPerson(StrictSchema):
    row = fields.Integer()
    id = fields.String(metadata={"description": "The new person's id (real runs)"})
    name = fields.String()
    service = fields.String(allow_none=True)
    keyworkers = fields.List(fields.String())
    started_on = fields.Date(allow_none=True)


class ImportResultOut(StrictSchema):
    dry_run = fields.Boolean()
    rows = fields.Integer(metadata={"description": "People rows in the file (blank rows are skipped)"})
    created = fields.Integer()
    error_count = fields.Integer()
    errors = fields.List(fields.Nested(RowError), metadata={"description": "Every problem (the first 1,000)"})
    people = fields.List(fields.Nested(ImportedPerson), metadata={"description": "Who will be (dry run) or was created, when there are no errors"})


def _uploaded_file() -> bytes:
    mimetype = request.mimetype or ""
    if mimetype == "multipart/form-data":
        upload = request.files.get("file")
        if upload is None:
            raise Invalid("Attach the CSV file in the field “file”.", fields={"file": ["Attach the CSV file in this field."]})
        return upload.read()
    if mimetype in CSV_TYPES:
        return request.get_data(cache=False)
    raise UnsupportedType(
        "Send the CSV file as the body with Content-Type: text/csv, or as multipart/form-data in the field “file”.",
        fields={"file": ["Must be a CSV file (text/csv)."]},
    )


class UnsupportedType(Unsupported):
    code = "unsupported_media_type"


@blp.route("/people", methods=["POST"])
@login_required
@blp.arguments(ImportQuery, location="query")
@blp.response(200, ImportResultOut, description="The dry run's report: every problem, nothing created")
@blp.alt_response(201, schema=ImportResultOut, description="Everyone was created")
@blp.alt_response(422, description="A bad file, a missing or unknown column, or (a real run) any row problem: nothing was created")
@blp.doc(requestBody={"required": True, "content": {
    "text/csv": {"schema": {"type": "string"}},
    "multipart/form-data": {"schema": {"type": "object", "properties": {"file": {"type": "string", "format": "binary"}}}},
}}, summary="Import people (and their keyworkers) from a CSV file, all or nothing", description=FILE_FORMAT)
def import_people(query):
    result = domain.import_people(current_user, _uploaded_file(), dry_run=query["dry_run"])
    if query["dry_run"]:
        db.session.rollback()
        return result
    db.session.commit()
    return result, 201


@blp.route("/people/template")
@login_required
@blp.response(200, description="A CSV template: the header row and one example row", content_type="text/csv")
def people_template():
    """A CSV template for the people import: the header row and one example row (UTF-8 with BOM, for Excel)."""
    body = domain.template_csv(current_user)
    return Response(body.encode("utf-8"), mimetype="text/csv", headers={
        "Content-Disposition": 'attachment; filename="people-import-template.csv"',
    })
