"""Benchmark (not a test): importing 2,000 people from a CSV file on SQLite, against the 10 s limit.

Makes a fresh SQLite database in a temp dir (migrated to head, the app's own pragmas: WAL,
synchronous=FULL, foreign keys on) with one organisation, two services, a registered manager and
two support workers, serves the app with werkzeug on 127.0.0.1, signs in as the manager, and posts
a 2,000-row CSV (UTF-8 with BOM, as Excel saves it; half the rows name a keyworker, dates are UK
style) to POST /api/v1/imports/people: first a dry run, then the real run. Prints each time, rows/s
and the ratio to the limit, and checks that all 2,000 people and 1,000 caseload entries exist.

Run: .venv/bin/python bench/import_people.py     Exits 1 if the real run takes 10 s or more, or
if anyone is missing.
"""
from __future__ import annotations

import csv
import io
import json
import sys
import tempfile
import time
import urllib.error
import urllib.request
from datetime import date, timedelta
from http.cookiejar import CookieJar
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from harness import migrated_app, serving  # noqa: E402

TOTAL = 2000
LIMIT_S = 10.0
MANAGER, WORKERS, PASSWORD = "bench-manager@bench.example", ("bench-a@bench.example", "bench-b@bench.example"), "bench-password"


def make_database(path: Path):
    from werkzeug.security import generate_password_hash

    from server.extensions import db
    from server.models import Organisation, Service, User, UserService

    app = migrated_app(path)
    with app.app_context():
        org = Organisation(name="Bench")
        db.session.add(org)
        db.session.flush()
        oak = Service(organisation_id=org.id, name="Oak House", kind="supported_living")
        elm = Service(organisation_id=org.id, name="Elm Court", kind="residential")
        db.session.add_all([oak, elm])
        db.session.flush()
        pw = generate_password_hash(PASSWORD)
        for email, role in ((MANAGER, "registered_manager"), (WORKERS[0], "support_worker"), (WORKERS[1], "support_worker")):
            user = User(organisation_id=org.id, email=email, name=email.split("@")[0], role=role, password_hash=pw)
            db.session.add(user)
            db.session.flush()
            db.session.add_all([UserService(user_id=user.id, service_id=oak.id), UserService(user_id=user.id, service_id=elm.id)])
        db.session.commit()
    return app


def csv_file() -> bytes:
    out = io.StringIO(newline="")
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(["name", "service", "keyworker_emails", "started_on"])
    for i in range(TOTAL):
        writer.writerow([f"Bench Person {i:05d}", "Oak House" if i % 3 else "Elm Court",
                         WORKERS[i % 4 // 2] if i % 2 else "", (date.today() - timedelta(days=i % 700)).strftime("%d/%m/%Y")])
    return ("\ufeff" + out.getvalue()).encode("utf-8")


class Client:
    """urllib with a cookie jar and the CSRF token, as the browser's fetch calls are."""

    def __init__(self, base: str):
        self.base = base
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(CookieJar()))
        self.csrf = None

    def call(self, method: str, path: str, body: bytes | None = None, content_type: str = "application/json") -> tuple[int, dict]:
        request = urllib.request.Request(self.base + path, data=body, method=method)
        request.add_header("Accept", "application/json")
        if body is not None:
            request.add_header("Content-Type", content_type)
        if self.csrf:
            request.add_header("X-CSRF-Token", self.csrf)
        try:
            with self.opener.open(request, timeout=300) as response:
                return response.status, json.loads(response.read())
        except urllib.error.HTTPError as exc:
            raise SystemExit(f"{method} {path} -> {exc.code}: {exc.read().decode()[:500]}") from None


def main() -> int:
    from server.extensions import db
    from server.models import CaseloadAssignment, Person

    with tempfile.TemporaryDirectory(prefix="tandem-bench-") as name:
        app = make_database(Path(name) / "server.sqlite3")
        body = csv_file()
        with serving(app) as url:
            client = Client(url)
            client.csrf = client.call("GET", "/api/v1/session")[1]["csrf_token"]
            sign_in = json.dumps({"email": MANAGER, "password": PASSWORD}).encode()
            client.csrf = client.call("POST", "/api/v1/session", sign_in)[1]["csrf_token"]
            started = time.perf_counter()
            status, dry = client.call("POST", "/api/v1/imports/people?dry_run=true", body, "text/csv")
            dry_s = time.perf_counter() - started
            started = time.perf_counter()
            status_real, real = client.call("POST", "/api/v1/imports/people?dry_run=false", body, "text/csv")
            real_s = time.perf_counter() - started
        with app.app_context():
            people = db.session.query(Person).count()
            caseload = db.session.query(CaseloadAssignment).count()
            db.session.remove()
            db.engine.dispose()

    print(f"dry run : {TOTAL} rows checked in {dry_s:.2f} s, {TOTAL / dry_s:,.0f} rows/s; {dry['error_count']} problems (HTTP {status})")
    print(f"real run: {TOTAL} rows imported in {real_s:.2f} s, {TOTAL / real_s:,.0f} rows/s; {real['created']} created (HTTP {status_real})")
    print(f"stored  : {people} people, {caseload} caseload entries")
    print(f"summary: CSV import of {TOTAL:,} people over HTTP on SQLite (WAL, synchronous=FULL): {real_s:.2f} s "
          f"= {real_s / LIMIT_S:.1%} of the {LIMIT_S:.0f} s limit ({TOTAL / real_s:,.0f} rows/s)")
    if people != TOTAL or caseload != TOTAL // 2 or real_s >= LIMIT_S:
        print(f"FAIL: expected {TOTAL} people and {TOTAL // 2} caseload entries within {LIMIT_S:.0f} s", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
