"""Benchmark (not a test): how fast the sync push endpoint stores reviews, against the floor.

Makes a fresh SQLite database in a temp dir (migrated to head, the app's own pragmas: WAL,
synchronous=FULL, foreign keys on), serves the app with gunicorn on 127.0.0.1 as in production
(a worker process with 4 threads, an ephemeral port; PUSH_WORKERS for more), signs in through POST
/api/v1/session with the CSRF token and a cookie jar, warms the server up with 200 reviews of
another outcome (not timed), and pushes 1,000 review.create mutations (one evidence note each) in
batches of 100. In the same run it writes the same 1,000 reviews and 1,000 notes with raw sqlite3
executemany into another fresh file with the same pragmas and schema, committing once per 100. Prints both rates and HTTP / raw, per mutation and
per row (a mutation is two rows; issue 16 measures mutations/s over raw rows/s).

Run: .venv/bin/python bench/sync_push.py        Exits 1 unless all 1,000 reviews were applied.
"""
from __future__ import annotations

import json
import os
import sqlite3
import sys
import tempfile
import time
import urllib.request
import uuid
from datetime import date, datetime, timedelta, timezone
from http.cookiejar import CookieJar
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from harness import gunicorn, migrated_app  # noqa: E402

TOTAL, BATCH, WARM_UP = int(os.environ.get("PUSH_TOTAL", 1000)), 100, 200
# One gunicorn worker process (4 threads) serves the one phone pushing here; PUSH_WORKERS=2 gives the
# production layout, where a batch may land on a process whose first requests are still warming up.
WORKERS = int(os.environ.get("PUSH_WORKERS", 1))
AIM_RATE, AIM_RATIO = 2000, 0.015  # issue 16: mutations/s over HTTP, and that rate over raw rows/s
EMAIL, PASSWORD = "bench-worker@bench.example", "bench-password"


def make_database(path: Path) -> tuple[dict, object]:
    """A database migrated to head with one organisation, worker, person and outcome."""
    from werkzeug.security import generate_password_hash

    from server.extensions import db
    from server.models import (
        CaseloadAssignment,
        Organisation,
        Outcome,
        Person,
        Service,
        User,
    )

    app = migrated_app(path)
    with app.app_context():
        org = Organisation(name="Bench")
        db.session.add(org)
        db.session.flush()
        service = Service(organisation_id=org.id, name="Bench supported living", kind="supported_living")
        db.session.add(service)
        db.session.flush()
        person = Person(organisation_id=org.id, service_id=service.id, name="Bench Person")
        worker = User(organisation_id=org.id, email=EMAIL, name="Bench Worker", role="support_worker",
                      password_hash=generate_password_hash(PASSWORD))
        db.session.add_all([person, worker])
        db.session.flush()
        db.session.add(CaseloadAssignment(user_id=worker.id, person_id=person.id))
        outcome = Outcome(person_id=person.id, domain="Confidence using buses", persons_words="Into town on my own.",
                          indicator="Travels alone by bus", starts_on=date.today() - timedelta(days=400),
                          review_by=date.today() + timedelta(days=60))
        warm_up = Outcome(person_id=person.id, domain="Cooking a meal for friends", persons_words="Cook for my friends.",
                          indicator="Cooks a meal", starts_on=date.today() - timedelta(days=400),
                          review_by=date.today() + timedelta(days=60))
        db.session.add_all([outcome, warm_up])
        db.session.commit()
        ids = {"person": person.id, "outcome": outcome.id, "warm_up": warm_up.id, "worker": worker.id}
    return ids, app


def mutations(outcome_id: str, total: int = TOTAL) -> list[dict]:
    now = datetime.now(timezone.utc).replace(microsecond=0)
    out = []
    for i in range(total):
        out.append({
            "id": i + 1,
            "name": "review.create",
            "at": now.isoformat(),
            "args": {
                "id": str(uuid.uuid4()),
                "outcome_id": outcome_id,
                "score": 1 + i % 5,
                "rated_by": "together",
                "happened_at": (now - timedelta(hours=8 * (TOTAL - i))).isoformat(),
                "evidence": [f"Travelled alone to town, trip {i + 1}"],
                "what_changed": "A harder month",
                "support_adjustment": "Practise the route again",
            },
        })
    return out


class Client:
    """urllib with a cookie jar and the CSRF token, as the phone's fetch calls are."""

    def __init__(self, base: str):
        self.base = base
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(CookieJar()))
        self.csrf = None

    def call(self, method: str, path: str, body=None) -> dict:
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(self.base + path, data=data, method=method)
        request.add_header("Accept", "application/json")
        if data is not None:
            request.add_header("Content-Type", "application/json")
        if self.csrf:
            request.add_header("X-CSRF-Token", self.csrf)
        try:
            with self.opener.open(request, timeout=120) as response:
                return json.loads(response.read())
        except urllib.error.HTTPError as exc:
            raise SystemExit(f"{method} {path} -> {exc.code}: {exc.read().decode()[:500]}") from None


def bench_http(tmp: Path) -> tuple[float, int, int]:
    from server.extensions import db
    from server.models import EvidenceNote, Review

    path = tmp / "server.sqlite3"
    ids, app = make_database(path)
    with app.app_context():
        db.engine.dispose()  # the server processes open their own connections
    batch = mutations(ids["outcome"])
    warm_up = mutations(ids["warm_up"], WARM_UP)
    with gunicorn({"DATABASE_URL": f"sqlite:///{path}", "SECRET_KEY": "bench-secret", "TANDEM_DEVELOPMENT": "true"}, workers=WORKERS) as (url, _):
        client = Client(url)
        client.csrf = client.call("GET", "/api/v1/session")["csrf_token"]
        client.csrf = client.call("POST", "/api/v1/session", {"email": EMAIL, "password": PASSWORD})["csrf_token"]
        device = str(uuid.uuid4())
        # Warm-up, not timed: each server process's first requests compile its statements and fill
        # its caches, once in its life. Reviews of another outcome, from another device.
        for start in range(0, WARM_UP, BATCH // 2):
            client.call("POST", "/api/v1/sync/push", {"device_id": str(uuid.uuid4()),
                                                      "mutations": warm_up[start:start + BATCH // 2]})
        applied = 0
        started = time.perf_counter()
        for start in range(0, TOTAL, BATCH):
            reply = client.call("POST", "/api/v1/sync/push", {"device_id": device, "mutations": batch[start:start + BATCH]})
            applied += sum(1 for r in reply["results"] if r["status"] == "applied")
        elapsed = time.perf_counter() - started
    with app.app_context():
        stored = db.session.query(Review).filter_by(outcome_id=ids["outcome"]).count()
        notes = db.session.query(EvidenceNote).filter_by(outcome_id=ids["outcome"]).count()
        db.session.remove()
        db.engine.dispose()
    if notes != stored:
        print(f"expected one evidence note per review, found {notes} for {stored}", file=sys.stderr)
        stored = -1
    return elapsed, applied, stored


def bench_raw(tmp: Path) -> float:
    """The same rows with sqlite3 executemany: no HTTP, no ORM, no validation, audit or change counter."""
    from server.extensions import db

    path = tmp / "raw.sqlite3"
    ids, app = make_database(path)  # the same schema (migrated) and parent rows
    with app.app_context():
        db.engine.dispose()
    now = datetime.now(timezone.utc).replace(microsecond=0)
    stamp = lambda d: d.astimezone(timezone.utc).replace(tzinfo=None).isoformat(" ")  # noqa: E731 - as the app stores it
    reviews, notes = [], []
    for i, m in enumerate(mutations(ids["outcome"])):
        a = m["args"]
        happened = stamp(datetime.fromisoformat(a["happened_at"]))
        reviews.append((a["id"], ids["outcome"], ids["person"], a["score"], a["rated_by"], happened, a["what_changed"],
                        a["support_adjustment"], 0, ids["worker"], 2 * i + 1, stamp(now), stamp(now)))
        notes.append((str(uuid.uuid4()), ids["person"], a["id"], ids["outcome"], a["evidence"][0], happened, ids["worker"],
                      2 * i + 2, stamp(now), stamp(now)))

    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=FULL")
    conn.execute("PRAGMA foreign_keys=ON")
    started = time.perf_counter()
    for start in range(0, TOTAL, BATCH):
        conn.execute("BEGIN IMMEDIATE")
        conn.executemany(
            "INSERT INTO reviews (id, outcome_id, person_id, score, rated_by, happened_at, what_changed, support_adjustment,"
            " achieved, created_by, seq, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            reviews[start:start + BATCH],
        )
        conn.executemany(
            "INSERT INTO evidence_notes (id, person_id, review_id, outcome_id, text, happened_at, created_by, seq,"
            " created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            notes[start:start + BATCH],
        )
        conn.execute("COMMIT")
    elapsed = time.perf_counter() - started
    count = conn.execute("SELECT count(*) FROM reviews").fetchone()[0]
    conn.close()
    assert count == TOTAL, count
    return elapsed


def main() -> int:
    with tempfile.TemporaryDirectory(prefix="tandem-bench-") as name:
        tmp = Path(name)
        http_s, applied, stored = bench_http(tmp)
        raw_s = bench_raw(tmp)
    http_rate, raw_rate = TOTAL / http_s, TOTAL / raw_s
    ratio = http_rate / raw_rate
    raw_rows = 2 * raw_rate  # each mutation is two rows: a review and its note
    row_ratio = http_rate / raw_rows
    print(f"HTTP push : {TOTAL} review.create (+1 evidence note each), {TOTAL // BATCH} pushes of {BATCH}: "
          f"{http_s:.2f} s, {http_rate:,.0f} mutations/s; {applied} applied, {stored} stored")
    print(f"raw sqlite: the same {TOTAL} reviews + {TOTAL} notes, executemany, commit per {BATCH}: "
          f"{raw_s:.3f} s, {raw_rate:,.0f} reviews with their note/s = {raw_rows:,.0f} rows/s")
    print(f"ratio HTTP mutations/s to raw reviews with their note/s: {ratio:.4f} (raw is {1 / ratio:,.0f}x faster)")
    print(f"ratio HTTP mutations/s to raw rows/s (issue 16's measure, aim >= {AIM_RATIO}): {row_ratio:.4f}"
          f" ({'met' if row_ratio >= AIM_RATIO else 'not met'}); aim {AIM_RATE:,} mutations/s: "
          f"{'met' if http_rate >= AIM_RATE else 'not met'}")
    print(f"summary: sync push over HTTP on SQLite (WAL, synchronous=FULL), batches of {BATCH}: "
          f"{http_rate:,.0f} mutations/s = {row_ratio:.4f} of raw sqlite3 executemany rows/s ({raw_rows:,.0f}); "
          f"{stored}/{TOTAL} reviews stored once")
    if applied != TOTAL or stored != TOTAL:
        print(f"FAIL: expected {TOTAL} applied and stored, got {applied} applied and {stored} stored", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
