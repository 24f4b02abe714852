"""Benchmark (not a test): every list endpoint's first page answers in under 300 ms, and costs about
the same in a large organisation as in a small one.

Makes two organisations with bench/make_org.py (SMALL and LARGE people; or reuses the files in
bench-data/ that bench/read_paths.py also uses) and, in each, times the first page (50 rows, the
size the screens ask for) of each list as the role that reads it, through the app's test client
(no HTTP): people, people to manage, accounts, changes, feedback, overdue reviews, the inbox and the
audit log. Each figure is the median of 5 requests, as wall time and as this process's CPU time
(on a shared machine the wall time also holds other jobs' turns on the cores).

Prints, per endpoint, the wall time at both sizes, the CPU time at both sizes and the CPU ratio
large ÷ small (CPU time, because other jobs on a shared machine stretch wall time unevenly). Two
limits: 300 ms for the large organisation's CPU time (the issue's figure), and for the ratio the
rule bench/read_paths.py uses, measured in the same run: 2 × the same ratio for GET /api/v1/session
(work that cannot depend on the data), and never less than 2. Exits 1 if a figure is over its limit.

    .venv/bin/python bench/list_endpoints.py                  # 1,000 and 5,000 people
    .venv/bin/python bench/list_endpoints.py --large 50000    # the full run (make bench SCALE=50000)
"""
from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import make_org  # noqa: E402
from read_paths import Session, app_for, database_for  # noqa: E402

LIMIT_MS = 300.0
REPEAT = 5
PAGE = 50

# (what, who, url): the first page of each list, as the screens ask for it.
LISTS = [
    ("worker GET /people", "worker1", f"/api/v1/people?limit={PAGE}"),
    ("manager GET /people", "manager1", f"/api/v1/people?limit={PAGE}"),
    ("senior GET /people", "senior", f"/api/v1/people?limit={PAGE}"),
    ("manager GET /people/manage", "manager1", f"/api/v1/people/manage?limit={PAGE}"),
    ("admin GET /users", "admin", f"/api/v1/users?limit={PAGE}"),
    ("worker GET /changes", "worker1", f"/api/v1/changes?limit={PAGE}"),
    ("manager GET /changes", "manager1", f"/api/v1/changes?limit={PAGE}"),
    ("commissioner GET /changes", "commissioner", f"/api/v1/changes?limit={PAGE}"),
    ("worker GET /feedback", "worker1", f"/api/v1/feedback?status=all&limit={PAGE}"),
    ("manager GET /feedback", "manager1", f"/api/v1/feedback?status=unreviewed&limit={PAGE}"),
    ("senior GET /feedback", "senior", f"/api/v1/feedback?status=all&limit={PAGE}"),
    ("manager GET /reviews/overdue", "manager1", f"/api/v1/reviews/overdue?limit={PAGE}"),
    ("senior GET /reviews/overdue", "senior", f"/api/v1/reviews/overdue?limit={PAGE}"),
    ("worker GET /notifications", "worker1", f"/api/v1/notifications?limit={PAGE}"),
    ("manager GET /audit", "manager1", f"/api/v1/audit?limit={PAGE}"),
    ("admin GET /audit", "admin", f"/api/v1/audit?limit={PAGE}"),
]


def timed(fn, repeat: int = REPEAT) -> tuple[float, float]:
    """(wall, CPU) seconds: the medians of `repeat` runs."""
    walls, cpus = [], []
    for _ in range(repeat):
        w0, c0 = time.perf_counter(), time.process_time()
        fn()
        cpus.append(time.process_time() - c0)
        walls.append(time.perf_counter() - w0)
    return statistics.median(walls), statistics.median(cpus)


def with_history(app) -> None:
    """A database made by an earlier make_org is brought to the latest migration (the audit log's
    index, 0010) and, if it has none, given the audit entries and notifications make_org now writes."""
    import contextlib
    import io

    from flask_migrate import upgrade
    from sqlalchemy import func, select

    from server.extensions import db
    from server.models import AuditEvent

    with app.app_context():
        with contextlib.redirect_stderr(io.StringIO()):
            upgrade()
        made = db.session.execute(select(func.count()).select_from(AuditEvent)
                                  .where(AuditEvent.action == "create", AuditEvent.entity == "review")).scalar()
        if not made:
            print(f"  adding the audit trail and inbox to {db.engine.url.database}: {make_org.add_history(db.session.connection())}")
            db.session.commit()


def measure(database: str) -> dict:
    app = app_for(database)
    with_history(app)
    sessions = {who: Session(app, f"{who}@scale.example") for who in sorted({who for _, who, _ in LISTS})}
    out = {"session": timed(lambda: sessions["worker1"].get("/api/v1/session"), 9)}
    for what, who, url in LISTS:
        body = sessions[who].get(url)  # once untimed: the first request warms the caches
        rows = body.get("items", body.get("overdue", body.get("notifications")))
        out[what] = timed(lambda s=sessions[who], u=url: s.get(u))
        out[f"_rows {what}"] = len(rows)
    return out


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--small", type=int, default=1000)
    parser.add_argument("--large", type=int, default=5000)
    parser.add_argument("--fresh", action="store_true", help="make the organisations again")
    parser.add_argument("--small-database", help="URL of the small organisation (make_org.py --database), e.g. on PostgreSQL")
    parser.add_argument("--large-database", help="URL of the large organisation")
    args = parser.parse_args(argv)
    small = measure(database_for(args.small, args.fresh, args.small_database))
    large = measure(database_for(args.large, args.fresh, args.large_database))
    noise = large["session"][1] / small["session"][1]
    limit = max(2.0, 2 * noise)
    print(f"List endpoints, first page of {PAGE}: {args.small:,} vs {args.large:,} people (median of {REPEAT})")
    print(f"  limits: {LIMIT_MS:.0f} ms of CPU at {args.large:,} people; CPU ratio {limit:.2f} "
          f"(2 x GET /session's own large/small CPU ratio {noise:.2f}, at least 2)")
    print(f"  {'':30} {'wall, small':>11} {'wall, large':>11} {'CPU, small':>11} {'CPU, large':>11} {'ratio':>6}")
    failed = False
    for what, _, _ in LISTS:
        (s_wall, s_cpu), (l_wall, l_cpu) = small[what], large[what]
        ratio = l_cpu / s_cpu
        notes = []
        if l_cpu * 1000 > LIMIT_MS:
            notes.append(f"OVER {LIMIT_MS:.0f} ms")
        if ratio > limit:
            notes.append("RATIO OVER THE LIMIT")
        failed |= bool(notes)
        print(f"  {what:30} {s_wall * 1000:8.1f} ms {l_wall * 1000:8.1f} ms {s_cpu * 1000:8.1f} ms {l_cpu * 1000:8.1f} ms {ratio:6.2f}"
              f"  ({large['_rows ' + what]} rows){'  ' + ', '.join(notes) if notes else ''}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
