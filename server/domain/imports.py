"""Importing people from a spreadsheet (CSV), all or nothing.

The file
--------
UTF-8 text, with or without the byte-order mark Excel writes ("CSV UTF-8 (Comma delimited)").
Comma-separated; a file whose header row has semicolons or tabs and no commas (Excel in some
locales) is read with that separator. Quoting is the spreadsheet's own (read by Python's csv
module), so a cell may hold commas, quotes and line breaks. The header row names the columns, in
any order (case, spaces and hyphens do not matter: "Keyworker emails" is keyworker_emails):

- ``name`` (required): the person's full name, at most 200 characters.
- ``service``: the name of one of your organisation's services, as written on the People screen
  (case and extra spaces do not matter). Managers may import only into services they manage.
- ``keyworker_emails`` (may be blank): the email addresses of the staff who will have the person on
  their caseload, separated by ``;`` or ``,`` inside the cell. Each must be an active support
  worker or manager account of the organisation that works in that service.
- ``started_on`` (may be blank): the day support started, as ``01/03/2026`` (day first, the UK
  way Excel saves it) or ``2026-03-01``; not before 1900 and at most a year ahead.

A column missing from the header, or one not listed above, refuses the whole file (422 naming the
column). Blank rows are skipped. Row numbers in the report are the spreadsheet's: the header is row 1.

Two rows with the same name in the same service, or a row naming someone already supported by
that service, are errors: such a row is far more often a file imported twice or a copy-paste slip
than a second person of the same name. Add a namesake through the People screen instead.

People of residential services get weekly checks switched on; change it on the People screen.

Running it
----------
A dry run validates every row and reports every problem, creating nothing. A real run validates
the same way and, only when no row has a problem, creates everyone in one transaction: the people,
their caseload entries and the audit entries are bulk inserts (a fixed number of statements, not
one per row), stamped with change-sequence values reserved in one step, so each keyworker's next
pull brings the new people.
"""
from __future__ import annotations

import csv
import io
import re
import uuid
from dataclasses import dataclass, field
from datetime import date, timedelta

from flask import g, has_request_context
from sqlalchemy import func, insert, select

from ..extensions import db
from ..models import AuditEvent, CaseloadAssignment, Person, Service, User, utcnow
from . import access
from .changeseq import reserve_seqs
from .errors import Invalid
from .people import eligible_staff, require_people_admin

COLUMNS = ("name", "service", "keyworker_emails", "started_on")
MAX_ROWS = 10_000
MAX_ERRORS_SHOWN = 1000
NAME_MAX = 200
EARLIEST = date(1900, 1, 1)
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
ISO_DATE = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})$")
UK_DATE = re.compile(r"^(\d{1,2})/(\d{1,2})/(\d{4})$")
SHORT_YEAR = re.compile(r"^\d{1,2}/\d{1,2}/\d{2}$")
MIDNIGHT = re.compile(r"\s+0?0:00(:00)?$")
CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")  # as server/schemas/common.py: C0, DEL and C1
CHUNK = 500


@dataclass
class Row:
    number: int
    name: str
    service: Service | None = None
    keyworkers: list[User] = field(default_factory=list)
    started_on: date | None = None


def _norm(text: str) -> str:
    return " ".join(text.split()).casefold()


def _header_name(text: str) -> str:
    return re.sub(r"[\s\-]+", "_", text.strip().lower())


def template_csv(actor: User) -> str:
    """The header and one example row (in one of the actor's services), as Excel opens it."""
    require_people_admin(actor)
    service = db.session.execute(
        select(Service.name).where(Service.id.in_(access.people_managed_services(actor))).order_by(Service.name).limit(1)
    ).scalar_one_or_none() or "Oak House"
    out = io.StringIO(newline="")
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(COLUMNS)
    writer.writerow(["Sam Example", service, "keyworker@example.org; second.keyworker@example.org", date.today().strftime("%d/%m/%Y")])
    return "\ufeff" + out.getvalue()


# ---- reading the file ----

def _decode(raw: bytes) -> str:
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        message = "The file is not UTF-8 text. In Excel, use Save As and choose “CSV UTF-8 (Comma delimited)”."
        raise Invalid(message, fields={"file": [message]}) from None
    if not text.strip():
        raise Invalid("The file is empty.", fields={"file": ["The file is empty: it needs a header row and a row per person."]})
    return text


def _delimiter(text: str) -> str:
    first = text.split("\n", 1)[0]
    if "," in first:
        return ","
    for candidate in (";", "\t"):
        if candidate in first:
            return candidate
    return ","


def _read(text: str) -> tuple[list[str], list[tuple[int, list[str]]]]:
    """(normalised header, [(spreadsheet row number, cells)]) with blank rows left out."""
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=_delimiter(text), strict=True)
    rows: list[tuple[int, list[str]]] = []
    header: list[str] | None = None
    try:
        for number, cells in enumerate(reader, start=1):
            if header is None:
                header = cells
                continue
            if not any(c.strip() for c in cells):
                continue
            rows.append((number, cells))
            if len(rows) > MAX_ROWS:
                message = f"A file may hold at most {MAX_ROWS:,} people; split it into smaller files."
                raise Invalid(message, fields={"file": [message]})
    except csv.Error as exc:
        message = f"Row {reader.line_num} cannot be read as CSV ({exc})."
        raise Invalid(message, fields={"file": [message]}) from None
    return [_header_name(h) for h in header or []], rows


def _check_header(header: list[str]) -> dict[str, int]:
    fields: dict[str, list[str]] = {}
    positions: dict[str, int] = {}
    for i, name in enumerate(header):
        if not name:
            continue
        if name in positions:
            fields[name] = ["This column appears twice in the header row."]
        elif name not in COLUMNS:
            fields[name] = [f"Unknown column. The columns are: {', '.join(COLUMNS)}."]
        positions.setdefault(name, i)
    for name in COLUMNS:
        if name not in positions:
            fields[name] = ["Missing column: the header row must name it."]
    if fields:
        names = ", ".join(fields)
        raise Invalid(f"The header row does not match the template (check {names}).", fields=fields, columns=list(COLUMNS))
    return positions


def _parse_date(text: str) -> tuple[date | None, str | None]:
    text = MIDNIGHT.sub("", text.strip())
    if not text:
        return None, None
    m = ISO_DATE.match(text)
    if m:
        y, mo, d = (int(x) for x in m.groups())
    elif (m := UK_DATE.match(text)):
        d, mo, y = (int(x) for x in m.groups())
    elif SHORT_YEAR.match(text):
        return None, f"Write the year in full, e.g. {text.rsplit('/', 1)[0]}/20{text.rsplit('/', 1)[1]}."
    else:
        return None, f"'{text}' is not a date: write it as 01/03/2026 (day first) or 2026-03-01."
    try:
        value = date(y, mo, d)
    except ValueError:
        return None, f"There is no such date as '{text}' (day first: 01/03/2026 is 1 March)."
    latest = date.today() + timedelta(days=366)
    if not EARLIEST <= value <= latest:
        return None, f"Must be between {EARLIEST:%d/%m/%Y} and {latest:%d/%m/%Y}."
    return value, None


# ---- checking every row ----

def _check(actor: User, text: str) -> tuple[list[Row], list[dict]]:
    header, raw_rows = _read(text)
    positions = _check_header(header)
    unnamed = [i for i, name in enumerate(header) if not name]
    width = len(header)

    services = db.session.execute(select(Service).where(Service.organisation_id == actor.organisation_id)).scalars().all()
    by_name: dict[str, list[Service]] = {}
    for s in services:
        by_name.setdefault(_norm(s.name), []).append(s)
    managed = set(db.session.execute(access.people_managed_services(actor)).scalars())

    errors: list[dict] = []

    def err(row: int, column: str, message: str) -> None:
        # Short, like a spreadsheet note: "No service called 'Oak Hse'".
        errors.append({"row": row, "field": column, "message": message.rstrip(".")})

    emails: set[str] = set()
    parsed: list[tuple[Row, list[str]]] = []
    for number, cells in raw_rows:
        if len(cells) > width and any(c.strip() for c in cells[width:]):
            err(number, "columns", f"Has {len(cells)} cells but the header row names {width} columns "
                                   "(several emails in one cell: separate them with ; or keep the cell in quotes).")
        if any(i < len(cells) and cells[i].strip() for i in unnamed):
            err(number, "columns", "Has a value in a column with no heading.")
        cell = {name: (cells[i] if i < len(cells) else "") for name, i in positions.items()}
        for column in COLUMNS:
            if CONTROL.search(cell[column]):
                err(number, column, "Contains a control character; retype the cell.")
                cell[column] = CONTROL.sub("", cell[column])
        row = Row(number=number, name=" ".join(cell["name"].split()))
        if not row.name:
            err(number, "name", "The name is missing.")
        elif len(row.name) > NAME_MAX:
            err(number, "name", f"The name is {len(row.name)} characters long; at most {NAME_MAX}.")

        service_text = cell["service"].strip()
        matches = by_name.get(_norm(service_text), [])
        if not service_text:
            err(number, "service", "The service is missing.")
        elif not matches:
            err(number, "service", f"No service called '{service_text}'.")
        elif len(matches) > 1:
            err(number, "service", f"More than one service is called '{service_text}'; rename one first.")
        elif matches[0].id not in managed:
            err(number, "service", f"You do not manage '{matches[0].name}', so you cannot add people to it.")
        else:
            row.service = matches[0]

        row.started_on, problem = _parse_date(cell["started_on"])
        if problem:
            err(number, "started_on", problem)

        wanted = [e.strip() for e in re.split(r"[;,]", cell["keyworker_emails"]) if e.strip()]
        for e in wanted:
            if EMAIL.match(e):
                emails.add(e.lower())
            else:
                err(number, "keyworker_emails", f"'{e}' is not an email address.")
        parsed.append((row, [e for e in wanted if EMAIL.match(e)]))

    # Staff, and who works where: a fixed number of queries for the whole file.
    users: dict[str, User] = {}
    ordered = sorted(emails)
    for start in range(0, len(ordered), CHUNK):
        for user in db.session.execute(
            select(User).where(User.organisation_id == actor.organisation_id, func.lower(User.email).in_(ordered[start:start + CHUNK]))
        ).scalars():
            users[user.email.lower()] = user
    used_services = {row.service.id for row, _ in parsed if row.service is not None}
    works_in = {sid: {u.id for u in staff} for sid, staff in eligible_staff(actor.organisation_id, used_services).items()}

    # Names already supported by these services, and names repeated in the file.
    existing: set[tuple[str, str]] = set()
    if used_services:
        for name, service_id in db.session.execute(
            select(Person.name, Person.service_id).where(
                Person.organisation_id == actor.organisation_id, Person.service_id.in_(used_services), Person.ended_on.is_(None)
            )
        ).all():
            existing.add((service_id, _norm(name)))
    first_seen: dict[tuple[str, str], int] = {}

    rows: list[Row] = []
    for row, wanted in parsed:
        seen_here: set[str] = set()
        for e in wanted:
            key = e.lower()
            if key in seen_here:
                continue
            seen_here.add(key)
            user = users.get(key)
            if user is None:
                err(row.number, "keyworker_emails", f"No staff account has the email '{e}'.")
            elif not user.active:
                err(row.number, "keyworker_emails", f"{user.name}'s account ({e}) is not active.")
            elif user.role not in access.HOLDS_A_CASELOAD:
                err(row.number, "keyworker_emails", f"{user.name} ({e}) is not a support worker or manager.")
            elif row.service is not None and user.id not in works_in.get(row.service.id, set()):
                err(row.number, "keyworker_emails", f"{user.name} ({e}) does not work in '{row.service.name}'.")
            else:
                row.keyworkers.append(user)
        if row.service is not None and row.name:
            key = (row.service.id, _norm(row.name))
            if key in existing:
                err(row.number, "name", f"Someone called '{row.name}' is already supported by '{row.service.name}'.")
            elif key in first_seen:
                err(row.number, "name", f"'{row.name}' is also on row {first_seen[key]} for the same service.")
            else:
                first_seen[key] = row.number
        rows.append(row)
    errors.sort(key=lambda e: (e["row"], COLUMNS.index(e["field"]) if e["field"] in COLUMNS else len(COLUMNS)))
    return rows, errors


def _preview(row: Row, person_id: str | None = None) -> dict:
    out = {
        "row": row.number,
        "name": row.name,
        "service": row.service.name if row.service else None,
        "keyworkers": [u.name for u in row.keyworkers],
        "started_on": row.started_on,
    }
    if person_id:
        out["id"] = person_id
    return out


# ---- the import ----

def import_people(actor: User, raw: bytes, dry_run: bool = True) -> dict:
    """Check a CSV file of people; unless `dry_run`, create them all in the caller's transaction
    (the caller commits). A real run with any row problem raises Invalid and creates nothing."""
    require_people_admin(actor)
    rows, errors = _check(actor, _decode(raw))
    if not rows and not errors:
        raise Invalid("The file has a header row but no people.", fields={"file": ["The file has a header row but no people."]})
    result = {
        "dry_run": dry_run,
        "rows": len(rows),
        "created": 0,
        "error_count": len(errors),
        "errors": errors[:MAX_ERRORS_SHOWN],
        "people": [],
    }
    if errors:
        if dry_run:
            return result
        message = f"{len(errors)} problem{'s' if len(errors) != 1 else ''} in the file; nobody was imported. Fix them and try again."
        raise Invalid(message, fields={"file": [message]}, created=0, error_count=len(errors), errors=errors[:MAX_ERRORS_SHOWN])
    if dry_run:
        result["people"] = [_preview(r) for r in rows]
        return result
    ids = _create(actor, rows)
    result["created"] = len(rows)
    result["people"] = [_preview(r, pid) for r, pid in zip(rows, ids)]
    return result


def _create(actor: User, rows: list[Row]) -> list[str]:
    """Bulk inserts: people, then caseload entries, then audit entries; every synced row stamped
    from one reserved block of change-sequence values."""
    now = utcnow()
    batch = str(uuid.uuid4())
    device_id = g.get("device_id") if has_request_context() else None
    ids = [str(uuid.uuid4()) for _ in rows]
    assignments = [(pid, user) for pid, row in zip(ids, rows) for user in row.keyworkers]
    seq = reserve_seqs(db.session, len(rows) + len(assignments))

    people = []
    for i, (pid, row) in enumerate(zip(ids, rows)):
        people.append({
            "id": pid, "organisation_id": actor.organisation_id, "service_id": row.service.id, "name": row.name,
            "preferred_name": None, "weekly_checks": row.service.kind == "residential", "joined_on": row.started_on,
            "ended_on": None, "version": 1, "field_versions": {}, "seq": seq + i, "created_at": now, "updated_at": now,
        })
    db.session.execute(insert(Person), people)
    seq += len(rows)
    if assignments:
        db.session.execute(insert(CaseloadAssignment), [
            {"user_id": user.id, "person_id": pid, "keyworker": True, "seq": seq + i, "created_at": now, "updated_at": now}
            for i, (pid, user) in enumerate(assignments)
        ])
    service_of = {pid: row.service.id for pid, row in zip(ids, rows)}
    events = [
        {"at": now, "organisation_id": actor.organisation_id, "service_id": row.service.id, "user_id": actor.id,
         "device_id": device_id, "action": "create", "entity": "person", "entity_id": pid, "person_id": pid,
         "detail": {"import": batch, "row": row.number}}
        for pid, row in zip(ids, rows)
    ]
    events += [
        {"at": now, "organisation_id": actor.organisation_id, "service_id": service_of[pid], "user_id": actor.id,
         "device_id": device_id, "action": "caseload_add", "entity": "caseload", "entity_id": pid, "person_id": pid,
         "detail": {"user_id": user.id, "import": batch}}
        for pid, user in assignments
    ]
    events.append({"at": now, "organisation_id": actor.organisation_id, "service_id": None, "user_id": actor.id,
                   "device_id": device_id, "action": "import", "entity": "people_import", "entity_id": batch, "person_id": None,
                   "detail": {"people": len(rows), "caseload_entries": len(assignments)}})
    db.session.execute(insert(AuditEvent), events)
    return ids
