"""Make a large, realistic organisation for measuring speed at scale (not a test, not demo data).

    .venv/bin/python bench/make_org.py 50000                      # bench-data/org-50000.sqlite3
    .venv/bin/python bench/make_org.py 2000 --database postgresql+psycopg://postgres@127.0.0.1:5432/perf

N people in services of 250; support workers with caseloads of 30 (each person has one keyworker);
a registered manager for every 20 services (5,000 people at full size); a senior leader, an admin
and a commissioner. Each person has 3 outcomes (one in six achieved), each started in the first year
of the last two and reviewed monthly for 12 months, each review with an evidence note; one action
per outcome; 20 weekly checks per person in residential services (and 4 elsewhere); a feedback
conversation per quarter; a few service events a year; co-produced changes per service, some for
named people; an audit entry for every review and six inbox notifications per person (add_history).
Some outcomes' reviews stopped a while ago, so the overdue list is long, as it is in a real provider.

Rows go in through the models' tables (SQLAlchemy Core `insert`, executemany, 10,000 at a time),
not through the ORM, and month by month, so `seq` values interleave tables as real use does. Every
synced row takes its own `seq` and the change counter row ends on the last one, so pulls see a
consistent history. Every account's password is PASSWORD below; emails are `worker1@scale.example`,
`manager1@…`, `senior@…`, `admin@…`, `commissioner@…`. The output is a database: never commit it.
Prints what it made and how long it took.
"""
from __future__ import annotations

import argparse
import contextlib
import io
import random
import sys
import time
import uuid
from datetime import date, datetime, time as clock, timedelta, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

PASSWORD = "scale-password"
PEOPLE_PER_SERVICE = 250
CASELOAD = 30
SERVICES_PER_MANAGER = 20
OUTCOMES_PER_PERSON = 3
REVIEWS_PER_OUTCOME = 12
MONTHS = 24
CHUNK = 10_000

DOMAINS = ["Confidence using buses", "Feeling safe with money", "Managing my own morning routine", "Cooking a meal for friends",
           "Going to the art group", "Keeping in touch with my family", "Staying well at home", "Finding paid work"]
WORDS = ["I want to get into town on my own.", "I want to know my money is safe.", "I want to get myself up and ready.",
         "I want to cook for my friends.", "I want to go to the art group every week."]
EVIDENCE = ["Travelled alone to the GP appointment.", "Paid for shopping and checked the change.", "Got up with one prompt all week.",
            "Made pasta for two friends.", "Went to art group three times this month.", "Phoned mum on Sunday without a reminder."]
FIRST = ["Sam", "Priya", "Jordan", "Aisha", "Tom", "Maya", "Lewis", "Grace", "Owen", "Zara", "Kieran", "Nadia"]
LAST = ["Patel", "Jones", "Okafor", "Smith", "Williams", "Brown", "Taylor", "Khan", "Evans", "Walsh", "Hughes", "Ali"]
KINDS = ("supported_living", "domiciliary", "residential")
EVENTS = ("community_participation", "community_participation", "employment", "restrictive_practice", "hospital_admission")


def make(n: int, database: str | None = None, seed: int = 1, quiet: bool = False, per_service: int = PEOPLE_PER_SERVICE) -> dict:
    """Make the organisation in a new database (SQLite file path or a URL of an empty database)."""
    from flask_migrate import upgrade
    from sqlalchemy import insert, text
    from werkzeug.security import generate_password_hash

    from server import create_app
    from server.extensions import db
    from server import models as m

    if database is None:
        database = str(ROOT / "bench-data" / f"org-{n}.sqlite3")
    if "://" not in database:
        path = Path(database)
        path.parent.mkdir(parents=True, exist_ok=True)
        for suffix in ("", "-wal", "-shm"):
            Path(str(path) + suffix).unlink(missing_ok=True)
        database = f"sqlite:///{path}"
    app = create_app({"SQLALCHEMY_DATABASE_URI": database, "SECRET_KEY": "scale", "RATELIMIT_STORAGE_URI": "memory://"})
    rng = random.Random(seed)
    started = time.perf_counter()
    counts: dict[str, int] = {}

    def new_id() -> str:
        return str(uuid.UUID(int=rng.getrandbits(128), version=4))

    with app.app_context():
        with contextlib.redirect_stderr(io.StringIO()):
            upgrade()
        conn = db.session.connection()
        if conn.dialect.name == "sqlite":
            # The whole load is one transaction. With SQLite's default 2 MB page cache, each index of
            # random UUIDs spills and re-reads its pages from the log as it grows, and the load slows
            # with size (5,000 people in 25 s, 50,000 in 18 minutes); a cache that holds the file
            # keeps it linear. This connection only: the app's own settings are unchanged.
            conn.exec_driver_sql(f"PRAGMA cache_size=-{8 * 1024 * 1024}")  # KiB: up to 8 GiB, taken as used
        seq = [0]
        pending: dict[str, list[dict]] = {}

        def add(table, row: dict, synced: bool = True) -> None:
            if synced:
                seq[0] += 1
                row["seq"] = seq[0]
            rows = pending.setdefault(table.name, [])
            rows.append(row)
            if len(rows) >= CHUNK:
                flush(table)

        tables = {t.name: t for t in db.metadata.sorted_tables}

        def flush(table=None) -> None:
            # Parents before children, so foreign keys hold whatever order rows were made in.
            for t in db.metadata.sorted_tables if table is None else [table]:
                rows = pending.pop(t.name, None)
                if rows:
                    if table is not None:  # a full chunk: its parents' pending rows go in first
                        for parent in db.metadata.sorted_tables:
                            if parent is t:
                                break
                            if parent.name in pending and any(fk.column.table is parent for fk in t.foreign_keys):
                                flush(parent)
                    conn.execute(insert(tables[t.name]), rows)
                    counts[t.name] = counts.get(t.name, 0) + len(rows)

        today = date.today()
        start = today - timedelta(days=MONTHS * 30 + 10)
        stamp = datetime.combine(start, clock(9), tzinfo=timezone.utc)

        def at(day: date, hour: int = 10) -> datetime:
            return datetime.combine(day, clock(hour, rng.randrange(60)), tzinfo=timezone.utc)

        def common(when: datetime) -> dict:
            return {"created_at": when, "updated_at": when}

        T = m  # the models; their __table__ is what goes in
        org = new_id()
        add(T.Organisation.__table__, {"id": org, "name": f"Scale test provider ({n} people)", **common(stamp)}, synced=False)
        password_hash = generate_password_hash(PASSWORD)

        def user(email: str, name: str, role: str) -> str:
            uid = new_id()
            add(T.User.__table__, {"id": uid, "organisation_id": org, "email": email, "name": name, "role": role,
                                   "password_hash": password_hash, "active": True, "person_id": None, **common(stamp)}, synced=False)
            return uid

        user("senior@scale.example", "Senior Leader", "senior_leader")
        user("admin@scale.example", "Admin", "admin")
        commissioner = user("commissioner@scale.example", "Commissioner", "commissioner")

        n_services = max(1, -(-n // per_service))
        services, managers = [], []
        for s in range(n_services):
            sid = new_id()
            kind = KINDS[s % 3]
            add(T.Service.__table__, {"id": sid, "organisation_id": org, "name": f"Service {s + 1} ({kind.replace('_', ' ')})",
                                      "kind": kind, **common(stamp)}, synced=False)
            services.append((sid, kind))
            if s % SERVICES_PER_MANAGER == 0:
                managers.append(user(f"manager{len(managers) + 1}@scale.example", f"Manager {len(managers) + 1}", "registered_manager"))
            add(T.UserService.__table__, {"user_id": managers[-1], "service_id": sid}, synced=False)
            if s < 3:
                add(T.UserService.__table__, {"user_id": commissioner, "service_id": sid}, synced=False)

        people = []  # (person id, service id, kind, keyworker id)
        worker, on_caseload, workers = None, CASELOAD, 0
        for i in range(n):
            sid, kind = services[i // per_service]
            if on_caseload >= CASELOAD or i % per_service == 0:
                workers += 1
                worker = user(f"worker{workers}@scale.example", f"Worker {workers}", "support_worker")
                add(T.UserService.__table__, {"user_id": worker, "service_id": sid}, synced=False)
                on_caseload = 0
            on_caseload += 1
            pid = new_id()
            joined = start + timedelta(days=rng.randrange(60))
            add(T.Person.__table__, {"id": pid, "organisation_id": org, "service_id": sid,
                                     "name": f"{rng.choice(FIRST)} {rng.choice(LAST)} {i + 1}", "preferred_name": None,
                                     "weekly_checks": kind == "residential", "joined_on": joined, "ended_on": None,
                                     "version": 1, "field_versions": {}, **common(stamp)})
            add(T.CaseloadAssignment.__table__, {"user_id": worker, "person_id": pid, "keyworker": True, **common(stamp)})
            people.append((pid, sid, kind, worker))

        # Outcomes: each starts in one of the first twelve months and has twelve monthly reviews; one in
        # five stopped being reviewed a few months early (overdue), one in six was achieved at the last.
        plan = []  # (outcome id, person id, keyworker, first review month, reviews, achieved)
        for i_person, (pid, sid, kind, kw) in enumerate(people):
            for k in range(OUTCOMES_PER_PERSON):
                oid = new_id()
                first_month = rng.randrange(MONTHS - REVIEWS_PER_OUTCOME)
                starts = start + timedelta(days=30 * first_month)
                reviews = REVIEWS_PER_OUTCOME
                achieved = rng.random() < 1 / 6
                if not achieved and rng.random() < 0.2:
                    first_month = MONTHS - REVIEWS_PER_OUTCOME - rng.randrange(2, 6)
                    starts = start + timedelta(days=30 * first_month)
                add(T.Outcome.__table__, {
                    "id": oid, "person_id": pid, "domain": DOMAINS[(k + i_person) % len(DOMAINS)], "persons_words": rng.choice(WORDS),
                    "indicator": "Does it without a prompt", "target": "Every week", "review_every": "monthly",
                    "starts_on": starts, "review_by": starts + timedelta(days=365), "status": "achieved" if achieved else "active",
                    "priority": k == 0, "created_by": kw, "origin_hash": None, "version": 1, "field_versions": {},
                    **common(at(starts)),
                })
                add(T.Action.__table__, {
                    "id": new_id(), "outcome_id": oid, "person_id": pid, "description": "Practise the route together",
                    "owner_kind": "staff", "owner_user_id": kw, "owner_name": None, "due_on": starts + timedelta(days=60),
                    "status": "open", "created_by": kw, "origin_hash": None, "version": 1, "field_versions": {}, **common(at(starts)),
                })
                plan.append((oid, pid, kw, first_month + 1, reviews, achieved))
        flush()

        by_month: dict[int, list] = {}
        for entry in plan:
            for r in range(entry[4]):
                by_month.setdefault(entry[3] + r, []).append((entry, r))
        changes = []
        for month in range(MONTHS):
            month_start = start + timedelta(days=30 * month)
            for (oid, pid, kw, first, total, achieved), r in by_month.get(month, ()):
                when = at(month_start + timedelta(days=rng.randrange(28)))
                rid = new_id()
                score = min(5, 1 + r // 3 + (rng.random() < 0.3))
                last = r == total - 1
                add(T.Review.__table__, {
                    "id": rid, "outcome_id": oid, "person_id": pid, "score": score, "rated_by": "together", "happened_at": when,
                    "what_changed": None, "support_adjustment": None, "achieved": achieved and last, "created_by": kw,
                    "origin_hash": None, **common(when),
                })
                add(T.EvidenceNote.__table__, {
                    "id": new_id(), "person_id": pid, "review_id": rid, "outcome_id": oid, "text": rng.choice(EVIDENCE),
                    "happened_at": when, "created_by": kw, "origin_hash": None, **common(when),
                })
            for pid, sid, kind, kw in people:
                # Weekly checks: twenty weeks in the last five months for residential services, four elsewhere.
                if month >= MONTHS - 5 and (kind == "residential" or month == MONTHS - 1):
                    for week in range(4):
                        monday = month_start - timedelta(days=month_start.weekday()) + timedelta(days=7 * week)
                        when = at(monday + timedelta(days=2))
                        add(T.WeeklyCheck.__table__, {
                            "id": new_id(), "person_id": pid, "week_of": monday, "incidents": int(rng.random() < 0.1),
                            "engagement": rng.randint(2, 5), "mood": rng.randint(2, 5), "note": "", "created_by": kw,
                            "origin_hash": None, **common(when),
                        })
                if month % 3 == 2:
                    when = at(month_start + timedelta(days=rng.randrange(28)))
                    add(T.FeedbackConversation.__table__, {
                        "id": new_id(), "person_id": pid, "happened_at": when, "works_well": "My keyworker listens.",
                        "feels_difficult": "Waiting for the bus.", "would_change": "More evening activities.",
                        "participants": "Person and keyworker", "reviewed_at": None, "reviewed_by": None, "created_by": kw,
                        "origin_hash": None, **common(when),
                    })
                if rng.random() < 0.25:
                    when = at(month_start + timedelta(days=rng.randrange(28)))
                    add(T.ServiceEvent.__table__, {
                        "id": new_id(), "person_id": pid, "kind": rng.choice(EVENTS), "happened_at": when, "note": "",
                        "created_by": kw, "origin_hash": None, **common(when),
                    })
            if month % 6 == 3:
                for s, (sid, kind) in enumerate(services):
                    cid = new_id()
                    when = at(month_start)
                    add(T.Change.__table__, {
                        "id": cid, "service_id": sid, "description": "Evening activities twice a week, as people asked.",
                        "starts_on": month_start, "co_produced_with": "The residents' meeting", "created_by": managers[s // SERVICES_PER_MANAGER],
                        "origin_hash": None, **common(when),
                    })
                    changes.append((cid, sid))
                    if month % 12 == 3:  # every other change applies to a few named people
                        first = s * per_service
                        for pid, _, _, _ in people[first:first + 5]:
                            add(T.ChangePerson.__table__, {"change_id": cid, "person_id": pid}, synced=False)
        flush()
        from server.domain.outcome_facts import set_last_reviewed

        set_last_reviewed(conn)  # the reviews went in through the table, past the ORM hook that keeps it
        counts.update(add_history(conn, rng))
        conn.execute(text("DELETE FROM change_counter"))
        conn.execute(insert(T.ChangeCounter.__table__), [{"id": 1, "value": seq[0]}])
        db.session.commit()
        from server.database import optimize

        optimize(db.engine, bulk_load=True)  # statistics for the planner, as the app keeps them after migrations
    elapsed = time.perf_counter() - started
    summary = {"database": database, "people": n, "seconds": round(elapsed, 1), "seq": seq[0], "rows": counts}
    if not quiet:
        print(f"{n} people in {elapsed:.1f} s into {database}")
        for name, count in sorted(counts.items()):
            print(f"  {name:24} {count:>10,}")
    return summary


NOTIFICATIONS_PER_PERSON = 6


def add_history(conn, rng: random.Random | None = None) -> dict:
    """What use leaves behind and the lists read: an audit entry for every review (its creation, by
    the keyworker who recorded it) and six inbox notifications per person for their keyworker (a
    review due each month of the last half year, the older ones read). Works on an organisation made
    before this was part of `make`: bench/list_endpoints.py calls it when the audit log is empty."""
    from sqlalchemy import func, insert, select, text

    from server import models as m

    rng = rng or random.Random(2)
    before = conn.execute(select(func.count()).select_from(m.AuditEvent.__table__)).scalar()
    conn.execute(text(
        "INSERT INTO audit_events (at, organisation_id, service_id, user_id, device_id, action, entity, entity_id, person_id, detail) "
        "SELECT r.created_at, p.organisation_id, p.service_id, r.created_by, NULL, 'create', 'review', r.id, r.person_id, '{}' "
        "FROM reviews r JOIN people p ON p.id = r.person_id ORDER BY r.created_at, r.id"))
    audit = conn.execute(select(func.count()).select_from(m.AuditEvent.__table__)).scalar() - before
    now = datetime.now(timezone.utc)
    rows, notifications = [], 0
    assignments = conn.execute(select(m.CaseloadAssignment.user_id, m.CaseloadAssignment.person_id)
                               .where(m.CaseloadAssignment.keyworker.is_(True))
                               .order_by(m.CaseloadAssignment.user_id, m.CaseloadAssignment.person_id)).all()
    for user_id, person_id in assignments:
        for month in range(NOTIFICATIONS_PER_PERSON):
            when = now - timedelta(days=30 * month + rng.randrange(28), minutes=rng.randrange(600))
            due = when.date().isoformat()
            rows.append({"id": str(uuid.UUID(int=rng.getrandbits(128), version=4)), "user_id": user_id, "kind": "review_due",
                         "title": "Review due", "body": "A review is due this week.", "url": f"/people/{person_id}",
                         "dedupe_key": f"review_due:{person_id}:{due}:{user_id}", "created_at": when,
                         "read_at": when + timedelta(days=1) if month else None, "push_status": "no_subscription"})
            if len(rows) >= CHUNK:
                conn.execute(insert(m.Notification.__table__), rows)
                notifications += len(rows)
                rows = []
    if rows:
        conn.execute(insert(m.Notification.__table__), rows)
        notifications += len(rows)
    return {"audit_events": audit, "notifications": notifications}


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("people", type=int)
    parser.add_argument("--database", help="SQLite file path or database URL (default bench-data/org-N.sqlite3)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--per-service", type=int, default=PEOPLE_PER_SERVICE, help="people in each service (default 250)")
    args = parser.parse_args(argv)
    make(args.people, args.database, args.seed, per_service=args.per_service)


if __name__ == "__main__":
    main()
