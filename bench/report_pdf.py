"""Benchmark (not a test): how long the quarterly report takes as a PDF for a service of 500 people.

Makes a fresh SQLite database in a temp dir (migrated to head) and fills one service with bulk
inserts: 500 people, 3 outcomes each (with Care Act areas), a review a month for two quarters,
weekly checks for 26 weeks, two co-produced changes and quarterly feedback tagged with themes.
Then a registered manager signs in and asks the real endpoint for the report
(GET /api/v1/services/{id}/report?format=pdf), three times; the median is the figure. In the same
run it renders a trivial one-page PDF through the same path (documents.html_to_pdf) as the floor,
and prints both and their ratio: the requirement is under 5 s on the machine at hand.

Run: .venv/bin/python bench/report_pdf.py        Exits 1 unless every reply was a PDF.
"""
from __future__ import annotations

import os
import random
import statistics
import sys
import tempfile
import time
import uuid
from datetime import date, datetime, timedelta, timezone
from datetime import time as clock
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from harness import migrated_app  # noqa: E402

PEOPLE, OUTCOMES_EACH, RUNS = 500, 3, 3
EMAIL, PASSWORD = "bench-manager@bench.example", "bench-password"
AREAS = ["control", "participation", "health", "relationships", "social_economic", "dignity"]


def _utc(day: date, hour: int = 10) -> datetime:
    return datetime.combine(day, clock(hour), tzinfo=timezone.utc)


def make_database(path: Path):
    from sqlalchemy import insert
    from werkzeug.security import generate_password_hash

    from server.domain.outcomes import quarter_bounds, quarter_of
    from server.extensions import db
    from server.models import (
        Change,
        ChangeTheme,
        EvidenceNote,
        FeedbackConversation,
        FeedbackTheme,
        Organisation,
        Outcome,
        OutcomeWellbeingArea,
        Person,
        Review,
        Service,
        Theme,
        User,
        UserService,
        WeeklyCheck,
    )

    app = migrated_app(path, RATELIMIT_ENABLED=False)
    rng = random.Random(500)
    today = date.today()
    year, q = quarter_of(today)
    py, pq = (year, q - 1) if q > 1 else (year - 1, 4)
    p_start, _ = quarter_bounds(py, pq)
    with app.app_context():
        org = Organisation(name="Bench")
        db.session.add(org)
        db.session.flush()
        service = Service(organisation_id=org.id, name="Bench supported living", kind="supported_living")
        db.session.add(service)
        db.session.flush()
        manager = User(organisation_id=org.id, email=EMAIL, name="Bench Manager", role="registered_manager",
                       password_hash=generate_password_hash(PASSWORD))
        db.session.add(manager)
        db.session.flush()
        db.session.add(UserService(user_id=manager.id, service_id=service.id))
        now = datetime.now(timezone.utc)
        people, outcomes, areas, reviews, notes, checks = [], [], [], [], [], []
        for i in range(PEOPLE):
            pid = str(uuid.uuid4())
            people.append({"id": pid, "organisation_id": org.id, "service_id": service.id, "name": f"Person {i}", "weekly_checks": True,
                           "created_at": now, "updated_at": now, "seq": 0, "version": 1, "field_versions": {}})
            for k in range(OUTCOMES_EACH):
                oid = str(uuid.uuid4())
                outcomes.append({"id": oid, "person_id": pid, "domain": f"Goal {k}", "persons_words": "In my words", "indicator": "We will see",
                                 "target": "", "review_every": "monthly", "starts_on": p_start - timedelta(days=30),
                                 "review_by": today + timedelta(days=120), "status": "active", "priority": k == 0, "created_at": now,
                                 "updated_at": now, "seq": 0, "version": 1, "field_versions": {}})
                areas += [{"outcome_id": oid, "area": a} for a in rng.sample(AREAS, 2)]
                score = rng.randint(1, 3)
                day = p_start + timedelta(days=rng.randint(0, 10))
                while day < today:
                    rid = str(uuid.uuid4())
                    reviews.append({"id": rid, "outcome_id": oid, "person_id": pid, "score": score, "rated_by": "together",
                                    "happened_at": _utc(day), "achieved": False, "created_at": now, "updated_at": now, "seq": 0})
                    notes.append({"id": str(uuid.uuid4()), "person_id": pid, "review_id": rid, "outcome_id": oid, "text": "Evidence",
                                  "happened_at": _utc(day), "created_at": now, "updated_at": now, "seq": 0})
                    score = max(1, min(5, score + rng.choice([-1, 0, 1, 1])))
                    day += timedelta(days=30)
            monday = today - timedelta(days=today.weekday() + 7 * 26)
            for w in range(26):
                checks.append({"id": str(uuid.uuid4()), "person_id": pid, "week_of": monday + timedelta(days=7 * w),
                               "incidents": rng.randint(0, 2), "engagement": rng.randint(2, 5), "mood": rng.randint(2, 5), "note": "",
                               "created_at": now, "updated_at": now, "seq": 0})
        for model, rows in ((Person, people), (Outcome, outcomes), (OutcomeWellbeingArea, areas), (Review, reviews),
                            (EvidenceNote, notes), (WeeklyCheck, checks)):
            for i in range(0, len(rows), 2000):
                db.session.execute(insert(model), rows[i:i + 2000])
        themes = [Theme(organisation_id=org.id, name=name) for name in ("Feeling rushed", "Choice of activities", "Staff continuity")]
        db.session.add_all(themes)
        db.session.flush()
        for n, weeks_ago in enumerate((20, 8)):
            change = Change(service_id=service.id, description=f"Change {n}", starts_on=today - timedelta(days=7 * weeks_ago),
                            co_produced_with="Residents' meeting")
            db.session.add(change)
            db.session.flush()
            db.session.execute(insert(ChangeTheme), [{"change_id": change.id, "theme_id": themes[n].id}])
        feedback, tags = [], []
        for quarter_back in range(4):
            for p in people[::2]:
                fid = str(uuid.uuid4())
                day = today - timedelta(days=91 * quarter_back + rng.randint(1, 80))
                feedback.append({"id": fid, "person_id": p["id"], "happened_at": _utc(day), "works_well": "", "feels_difficult": "",
                                 "would_change": "", "participants": "", "reviewed_at": _utc(day + timedelta(days=3)),
                                 "created_at": now, "updated_at": now, "seq": 0})
                tags += [{"feedback_id": fid, "theme_id": t.id} for t in themes if rng.random() < 0.3]
        db.session.execute(insert(FeedbackConversation), feedback)
        db.session.execute(insert(FeedbackTheme), tags)
        db.session.commit()
        counts = {"people": len(people), "outcomes": len(outcomes), "reviews": len(reviews), "weekly checks": len(checks),
                  "feedback": len(feedback)}
        return app, service.id, counts


def main() -> int:
    from server import documents

    with tempfile.TemporaryDirectory() as tmp:
        app, service_id, counts = make_database(Path(tmp) / "bench.sqlite3")
        app.instance_path = tmp
        print("service:", ", ".join(f"{n:,} {what}" for what, n in counts.items()))
        client = app.test_client()
        csrf = client.get("/api/v1/session").get_json()["csrf_token"]
        r = client.post("/api/v1/session", json={"email": EMAIL, "password": PASSWORD}, headers={"X-CSRF-Token": csrf})
        assert r.status_code == 200, r.get_json()
        url = f"/api/v1/services/{service_id}/report?format=pdf"
        ok, times, cpu, pages = True, [], [], 0
        for _ in range(RUNS):
            t0, c0 = time.perf_counter(), time.process_time()
            r = client.get(url)
            times.append(time.perf_counter() - t0)
            cpu.append(time.process_time() - c0)
            ok = ok and r.status_code == 200 and r.data.startswith(b"%PDF-")
            pages = r.data.count(b"/Type /Page\n") or pages
        trivial_html = ('<!doctype html><html lang="en-GB"><head><meta charset="utf-8"><title>One page</title>'
                        '<link rel="stylesheet" href="/static/css/documents.css"></head><body><main><h1>One page</h1></main></body></html>')
        floor, floor_cpu = [], []
        with app.app_context():
            for _ in range(RUNS):
                t0, c0 = time.perf_counter(), time.process_time()
                documents.html_to_pdf(trivial_html)
                floor.append(time.perf_counter() - t0)
                floor_cpu.append(time.process_time() - c0)
        report, trivial = statistics.median(times), statistics.median(floor)
        report_cpu, trivial_cpu = statistics.median(cpu), statistics.median(floor_cpu)
        load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
        print(f"load average while running: {load:.1f} on {os.cpu_count()} cores (wall time grows with it; CPU time does not)")
        print(f"report PDF through the endpoint, median of {RUNS}: {report:.2f} s wall, {report_cpu:.2f} s CPU   [wall runs: {', '.join(f'{t:.2f}' for t in times)}]")
        print(f"trivial one-page PDF, median of {RUNS}:            {trivial:.2f} s wall, {trivial_cpu:.2f} s CPU")
        print(f"ratio report / trivial (CPU): {report_cpu / trivial_cpu:.1f}")
        print(f"requirement under 5 s: wall {'met' if report < 5 else 'NOT met'}, CPU {'met' if report_cpu < 5 else 'NOT met'}")
        return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
