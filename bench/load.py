"""Benchmark P4 (not a test): simulated staff against gunicorn on PostgreSQL.

Makes a fresh PostgreSQL database (LOAD_DATABASE_URL, default tandem_load on 127.0.0.1), migrates it,
loads the demo organisation and adds LOAD_USERS support workers, each with a caseload of three people
with two outcomes each. Starts gunicorn (2 workers × 4 threads, as on a 2-core host) and runs locust
headless for LOAD_SECONDS: every simulated worker signs in, pulls to the end, then records visits (two
reviews with evidence and a feedback conversation) and pushes them as a phone's outbox does, pulling
again after each push. Afterwards it checks the database: every record the server answered "applied"
is stored exactly once, and nothing else was stored. It samples each gunicorn worker's resident memory
every second.

Prints requests, errors, push p95 latency, the highest worker RSS, and exits 1 on any error, a lost or
doubled record, or a worker above 150 MB.

Run: .venv/bin/python bench/load.py                 (quick: 20 users, 60 s)
     LOAD_USERS=100 LOAD_SECONDS=300 .venv/bin/python bench/load.py   (the full P4 run)
"""
from __future__ import annotations

import contextlib
import csv
import io
import json
import os
import subprocess
import sys
import tempfile
import threading
import urllib.request
from datetime import date, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
BIN = Path(sys.executable).parent

from harness import gunicorn  # noqa: E402

USERS = int(os.environ.get("LOAD_USERS", "20"))
SECONDS = int(os.environ.get("LOAD_SECONDS", "60"))
DATABASE = os.environ.get("LOAD_DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/tandem_load")
RSS_LIMIT_MB = 150
PASSWORD = "load-password"


def fresh_database() -> None:
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    url = make_url(DATABASE)
    admin = create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as c:
        c.execute(text(f'DROP DATABASE IF EXISTS "{url.database}" WITH (FORCE)'))
        c.execute(text(f'CREATE DATABASE "{url.database}"'))
    admin.dispose()


def populate(tmp: Path) -> tuple[list[dict], dict]:
    from flask_migrate import upgrade
    from werkzeug.security import generate_password_hash

    from server import create_app
    from server import demo as demo_data
    from server.extensions import db
    from server.models import CaseloadAssignment, Outcome, Person, Service, User

    app = create_app({"SQLALCHEMY_DATABASE_URI": DATABASE, "SECRET_KEY": "load-secret", "RATELIMIT_STORAGE_URI": "memory://"})
    app.instance_path = str(tmp / "instance")
    accounts = []
    with app.app_context():
        with contextlib.redirect_stderr(io.StringIO()):
            upgrade()
        demo_data.load()
        db.session.commit()
        service = db.session.query(Service).order_by(Service.name).first()
        password_hash = generate_password_hash(PASSWORD)  # one hash, shared: signing in still checks it
        for n in range(USERS):
            worker = User(organisation_id=service.organisation_id, email=f"load-{n}@load.example", name=f"Load Worker {n}",
                          role="support_worker", password_hash=password_hash)
            db.session.add(worker)
            people, outcomes = [], []
            for p in range(3):
                person = Person(organisation_id=service.organisation_id, service_id=service.id, name=f"Load Person {n}-{p}")
                db.session.add(person)
                db.session.flush()
                db.session.add(CaseloadAssignment(user_id=worker.id, person_id=person.id))
                people.append(person.id)
                for o in range(2):
                    outcome = Outcome(person_id=person.id, domain=f"Goal {o + 1}", persons_words="In my own words.",
                                      indicator="We will see it", starts_on=date.today() - timedelta(days=200),
                                      review_by=date.today() + timedelta(days=60))
                    db.session.add(outcome)
                    db.session.flush()
                    outcomes.append(outcome.id)
            accounts.append({"email": worker.email, "password": PASSWORD, "people": people, "outcomes": outcomes})
        db.session.commit()
        config = {k: app.config[k] for k in ("VAPID_PRIVATE_KEY", "VAPID_PUBLIC_KEY")}
        db.session.remove()
        db.engine.dispose()
    return accounts, config


class RssSampler(threading.Thread):
    """The highest resident memory of each of the gunicorn master's workers, sampled every second."""

    def __init__(self, master: int):
        super().__init__(daemon=True)
        self.master, self.peak, self.stop = master, {}, threading.Event()

    def run(self):
        while not self.stop.wait(1.0):
            try:
                children = Path(f"/proc/{self.master}/task/{self.master}/children").read_text().split()
            except OSError:
                continue
            for pid in children:
                try:
                    status = Path(f"/proc/{pid}/status").read_text()
                except OSError:
                    continue
                kb = int(next(line for line in status.splitlines() if line.startswith("VmRSS:")).split()[1])
                self.peak[pid] = max(self.peak.get(pid, 0), kb)


def resend_pending(url: str, results: dict) -> None:
    """The phones whose last push got no reply (the run stopped mid-request) send it again, as the
    outbox does: each mutation is then either applied now or answered as a duplicate of the first try."""
    from http.cookiejar import CookieJar

    for batch in results["pending"]:
        opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(CookieJar()))

        def call(method, path, body=None, token=None):
            request = urllib.request.Request(url + path, data=json.dumps(body).encode() if body is not None else None, method=method)
            request.add_header("Content-Type", "application/json")
            if token:
                request.add_header("X-CSRF-Token", token)
            with opener.open(request, timeout=60) as response:
                return json.loads(response.read())

        token = call("GET", "/api/v1/session")["csrf_token"]
        token = call("POST", "/api/v1/session", {"email": batch["email"], "password": batch["password"]}, token)["csrf_token"]
        reply = call("POST", "/api/v1/sync/push", {"device_id": batch["device_id"], "mutations": batch["mutations"]}, token)
        for result in reply["results"]:
            if result["status"] in ("applied", "duplicate"):
                results["applied"].append(result["record_id"])
            else:
                results["problems"].append(f"resent {result['name']} {result['status']}")
    results["resent"] = len(results["pending"])


def main() -> int:
    fresh_database()
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        accounts, keys = populate(tmp)
        (tmp / "accounts.json").write_text(json.dumps(accounts))
        env = {"DATABASE_URL": DATABASE, "SECRET_KEY": "load-secret", **keys,
               "TANDEM_DEVELOPMENT": "true", "TANDEM_LOGIN_LIMIT_PER_ADDRESS": "100000 per minute",
               "TANDEM_LOGIN_LIMIT_PER_ACCOUNT": "1000 per minute"}
        # --keep-alive 75: the simulated phones talk to gunicorn directly and reuse a connection after
        # up to 3 s of quiet, past gunicorn's default of 2 s, so a request could go out on a connection
        # the server was closing at that moment ("connection reset"). In production the TLS proxy
        # stands in between (docs/DEPLOY.md) and keeps the phones' connections itself.
        with gunicorn(env, extra=("--keep-alive", "75")) as (url, server):
            sampler = RssSampler(server.pid)
            sampler.start()
            try:
                locust = subprocess.run(
                    [str(BIN / "locust"), "-f", str(ROOT / "bench" / "locustfile.py"), "--headless", "-u", str(USERS),
                     "-r", str(max(1, USERS // 10)), "-t", f"{SECONDS}s", "--host", url, "--csv", str(tmp / "load"),
                     "--only-summary", "--loglevel", "WARNING"],
                    cwd=ROOT, env={**os.environ, "LOAD_ACCOUNTS": str(tmp / "accounts.json"), "LOAD_RESULTS": str(tmp / "results.json")},
                    capture_output=True, text=True,
                )
                results = json.loads((tmp / "results.json").read_text())
                resend_pending(url, results)
            finally:
                sampler.stop.set()
        stats = {row["Name"]: row for row in csv.DictReader(open(tmp / "load_stats.csv"))}

    applied = results["applied"]
    stored = stored_records()
    total = stats["Aggregated"]
    push = stats.get("push", {})
    peak_mb = max(sampler.peak.values(), default=0) / 1024
    errors = int(total["Failure Count"]) + len(results["problems"])
    print(f"P4 load: {USERS} simulated staff for {SECONDS} s against gunicorn (2 workers × 4 threads) on PostgreSQL")
    print(f"  requests: {total['Request Count']}, errors: {errors}, pushes: {push.get('Request Count', 0)} "
          f"({float(push.get('Requests/s', 0)):.1f}/s), records applied: {len(applied)} "
          f"({results.get('resent', 0)} unanswered batch(es) sent again at the end)")
    print(f"  push latency: median {push.get('Median Response Time')} ms, p95 {push.get('95%')} ms; "
          f"pull p95 {stats.get('pull', {}).get('95%')} ms")
    print(f"  highest worker RSS: {peak_mb:.0f} MB (limit {RSS_LIMIT_MB} MB)")
    problems = list(results["problems"][:5])
    if int(total["Failure Count"]):
        problems.append(locust.stdout[-2000:] + locust.stderr[-2000:])
    missing = set(applied) - stored
    if missing or len(stored) != len(applied):
        problems.append(f"the database holds {len(stored)} load records; the server answered 'applied' for {len(applied)} "
                        f"({len(missing)} missing)")
    else:
        print(f"  database: every applied record stored exactly once ({len(stored)})")
    if peak_mb > RSS_LIMIT_MB:
        problems.append(f"a worker reached {peak_mb:.0f} MB")
    if not applied:
        problems.append("no record was applied: " + locust.stderr[-2000:])
    for problem in problems:
        print("FAIL:", problem)
    return 1 if problems else 0


def stored_records() -> set[str]:
    from sqlalchemy import create_engine, text

    engine = create_engine(DATABASE)
    with engine.connect() as conn:
        reviews = conn.execute(text(
            "SELECT r.id FROM reviews r JOIN evidence_notes e ON e.review_id = r.id WHERE e.text LIKE 'Load visit %'"
        )).scalars().all()
        feedback = conn.execute(text(
            "SELECT f.id FROM feedback_conversations f WHERE f.works_well = 'Same worker most days'"
        )).scalars().all()
    engine.dispose()
    ids = [str(i) for i in reviews] + [str(i) for i in feedback]
    if len(ids) != len(set(ids)):
        return set()  # a review with two notes would be doubled; reported as a mismatch
    return set(ids)


if __name__ == "__main__":
    sys.exit(main())
