"""Benchmark (not a test) P3: a service's measures against one hand-written SQL aggregate.

Makes (or reuses, in bench-data/) an organisation whose first service has PEOPLE people with two
years of reviews (bench/make_org.py --per-service PEOPLE), then, for the last full quarter:

* the app: `measures.service_measures(service, year, q)` with and without the anonymised
  trajectories (the figures GET /api/v1/services/{id}/measures answers), and the statements each sends;
* the floor: one SQL statement computing the same figures (people, people reviewed, achieving a
  goal, improving, outcomes improved / same / worse / single review, events by kind).

Checks that both give the same figures, and prints each time and app ÷ floor. The limit is set in
the same run from the floor itself: the figures may cost at most LIMIT x the hand-written
aggregate (the app reads rows and counts in Python; the floor never leaves the database).
Exits 1 if the figures differ or the ratio is over the limit.

    .venv/bin/python bench/service_measures.py                  # a service of 1,000 people
    .venv/bin/python bench/service_measures.py --people 5000    # the full run
"""
from __future__ import annotations

import argparse
import statistics
import sys
import time
from datetime import date, datetime, time as clock, timedelta, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import make_org  # noqa: E402

LIMIT = 10.0

FLOOR = """
WITH q AS (
  SELECT r.outcome_id, r.person_id, r.score, r.achieved,
         ROW_NUMBER() OVER (PARTITION BY r.outcome_id ORDER BY r.happened_at, r.id) AS first_n,
         ROW_NUMBER() OVER (PARTITION BY r.outcome_id ORDER BY r.happened_at DESC, r.id DESC) AS last_n,
         COUNT(*) OVER (PARTITION BY r.outcome_id) AS n
  FROM reviews r JOIN people p ON p.id = r.person_id
  WHERE p.service_id = :service AND r.happened_at >= :t0 AND r.happened_at <= :t1
), per_outcome AS (
  SELECT outcome_id, MAX(person_id) AS person_id, MAX(n) AS n,
         MAX(CASE WHEN first_n = 1 THEN score END) AS first_score,
         MAX(CASE WHEN last_n = 1 THEN score END) AS last_score,
         MAX(CASE WHEN achieved THEN 1 ELSE 0 END) AS achieved
  FROM q GROUP BY outcome_id
)
SELECT
  (SELECT COUNT(*) FROM people WHERE service_id = :service) AS people,
  COUNT(DISTINCT person_id) AS people_reviewed,
  COUNT(DISTINCT CASE WHEN achieved = 1 THEN person_id END) AS people_achieving_goal,
  COUNT(DISTINCT CASE WHEN last_score > first_score OR achieved = 1 THEN person_id END) AS people_improving,
  COALESCE(SUM(CASE WHEN n >= 2 AND last_score > first_score THEN 1 ELSE 0 END), 0) AS improved,
  COALESCE(SUM(CASE WHEN n >= 2 AND last_score = first_score THEN 1 ELSE 0 END), 0) AS same,
  COALESCE(SUM(CASE WHEN n >= 2 AND last_score < first_score THEN 1 ELSE 0 END), 0) AS worse,
  COALESCE(SUM(CASE WHEN n < 2 THEN 1 ELSE 0 END), 0) AS single_review,
  (SELECT COUNT(*) FROM service_events e JOIN people p ON p.id = e.person_id
    WHERE p.service_id = :service AND e.kind = 'community_participation' AND e.happened_at >= :t0 AND e.happened_at <= :t1) AS community,
  (SELECT COUNT(*) FROM service_events e JOIN people p ON p.id = e.person_id
    WHERE p.service_id = :service AND e.kind = 'hospital_admission' AND e.happened_at >= :t0 AND e.happened_at <= :t1) AS hospital
FROM per_outcome
"""


def database_for(people: int, fresh: bool, url: str | None) -> str:
    if url:
        return url
    path = ROOT / "bench-data" / f"service-{people}.sqlite3"
    if fresh or not path.exists():
        make_org.make(people, str(path), per_service=people)
    return f"sqlite:///{path}"


def timed(fn, repeat: int) -> tuple[float, object]:
    times, result = [], None
    for _ in range(repeat):
        t0 = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times), result


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--people", type=int, default=1000)
    parser.add_argument("--fresh", action="store_true")
    parser.add_argument("--database", help="a database URL made by make_org.py (default: make or reuse bench-data/service-N.sqlite3)")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args(argv)
    database = database_for(args.people, args.fresh, args.database)

    from sqlalchemy import bindparam, event, select, text

    from server import create_app
    from server.domain import measures
    from server.domain.outcomes import quarter_bounds, quarter_of
    from server.extensions import db
    from server.models import Service
    from server.models.base import UTCDateTime

    app = create_app({"SQLALCHEMY_DATABASE_URI": database, "SECRET_KEY": "bench", "RATELIMIT_STORAGE_URI": "memory://"})
    with app.app_context():
        service = db.session.execute(select(Service).order_by(Service.name)).scalars().first()
        year, q = quarter_of(date.today() - timedelta(days=92))
        start, end = quarter_bounds(year, q)
        t0 = datetime.combine(start, clock.min, tzinfo=timezone.utc)
        t1 = datetime.combine(end, clock.max, tzinfo=timezone.utc)
        floor_sql = text(FLOOR).bindparams(bindparam("t0", type_=UTCDateTime), bindparam("t1", type_=UTCDateTime))

        statements = []
        event.listen(db.engine, "before_cursor_execute", lambda *a: statements.append(1))
        floor_time, floor = timed(lambda: db.session.execute(floor_sql, {"service": service.id, "t0": t0, "t1": t1}).mappings().one(), args.repeat)
        n_floor = len(statements) // args.repeat
        statements.clear()
        figures_time, figures = timed(lambda: measures.service_measures(service, year, q, with_trajectories=False), args.repeat)
        n_figures = len(statements) // args.repeat
        statements.clear()
        full_time, _ = timed(lambda: measures.service_measures(service, year, q), args.repeat)
        n_full = len(statements) // args.repeat

    app_figures = {
        "people": figures["people"], "people_reviewed": figures["people_reviewed"],
        "people_achieving_goal": figures["people_achieving_goal"], "people_improving": figures["people_improving"],
        "improved": figures["outcomes"]["improved"], "same": figures["outcomes"]["same"], "worse": figures["outcomes"]["worse"],
        "single_review": figures["outcomes"]["single_review"],
        "community": round(figures["community_participation_per_person_month"] * figures["people"] * 3) if figures["people"] else 0,
        "hospital": figures["unplanned_hospital_admissions"],
    }
    floor_figures = {k: int(floor[k] or 0) for k in app_figures}
    # The app rounds participation per person-month to 2 places: compare it within that rounding.
    same = all(app_figures[k] == floor_figures[k] for k in app_figures if k != "community") and (
        abs(app_figures["community"] - floor_figures["community"]) <= 0.005 * figures["people"] * 3 + 1)
    print(f"P3 service measures: {service.name}, {figures['people']:,} people, {figures['quarter']} ({database.rsplit('/', 1)[-1]})")
    print(f"  figures: {floor_figures}")
    print(f"  same figures from the app and the hand-written aggregate: {'yes' if same else 'NO'}")
    ratio, ratio_full = figures_time / floor_time, full_time / floor_time
    print(f"  hand-written SQL aggregate   {floor_time * 1000:9.1f} ms  {n_floor} statement(s)")
    print(f"  service_measures, figures    {figures_time * 1000:9.1f} ms  {n_figures} statements  ratio {ratio:5.1f} (limit {LIMIT:.0f})")
    print(f"  with the trajectories        {full_time * 1000:9.1f} ms  {n_full} statements  ratio {ratio_full:5.1f} (shown, not held)")
    return 0 if same and ratio <= LIMIT else 1


if __name__ == "__main__":
    sys.exit(main())
