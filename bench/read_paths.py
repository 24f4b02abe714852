"""Benchmark (not a test) P2: the read paths a worker uses cost the same in a large organisation as
in a small one.

Makes two organisations with bench/make_org.py (SMALL and LARGE people; or reuses the files in
bench-data/ if they are there and --fresh is not given) and, in each, signs in as worker 1 (a
caseload of 30, the same in both) and times, through the app's test client (no HTTP):

* a full first sync: every page of GET /api/v1/sync/pull from cursor 0 until `more` is false;
* GET /api/v1/people (the caseload list);
* as manager 1 (up to 5,000 people): GET /api/v1/people and the first five pull pages;
* in the large organisation only, manager 1's whole first sync, against the limit of 60 s, with the
  time of the first and the last ten pages (each page should cost the same however far through).

Prints each time at both sizes and large ÷ small. The limit each ratio is held to is measured in the
same run: the ratio of the same worker's GET /api/v1/session (work that cannot depend on the data)
times 2, and never less than 2. Exits 1 if a worker's ratio is over its limit.

    .venv/bin/python bench/read_paths.py                 # 1,000 and 5,000 people
    .venv/bin/python bench/read_paths.py --large 50000   # the full run (make bench SCALE=50000)
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


def database_for(n: int, fresh: bool, url: str | None = None) -> str:
    """The organisation of `n` people: `url` when given (one made by `make_org.py N --database URL`,
    such as a PostgreSQL database), else bench-data/org-N.sqlite3, made if missing or `fresh`."""
    if url:
        return url
    path = ROOT / "bench-data" / f"org-{n}.sqlite3"
    if fresh or not path.exists():
        make_org.make(n, str(path))
    return f"sqlite:///{path}"


class Session:
    def __init__(self, app, email: str):
        self.client = app.test_client()
        self.csrf = self.client.get("/api/v1/session").get_json()["csrf_token"]
        r = self.client.post("/api/v1/session", json={"email": email, "password": make_org.PASSWORD}, headers={"X-CSRF-Token": self.csrf})
        assert r.status_code == 200, r.get_json()
        self.csrf = r.get_json()["csrf_token"]

    def get(self, url: str):
        r = self.client.get(url)
        assert r.status_code == 200, (url, r.status_code, r.get_data()[:300])
        return r.get_json()


def timed(fn, repeat: int = 3) -> float:
    """The median of `repeat` runs, in seconds."""
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def app_for(database: str):
    """The app on an organisation made by bench/make_org.py, for the test client (no rate limits)."""
    from server import create_app

    return create_app({"SQLALCHEMY_DATABASE_URI": database, "SECRET_KEY": "bench", "RATELIMIT_STORAGE_URI": "memory://",
                       "SESSION_COOKIE_SECURE": False, "REMEMBER_COOKIE_SECURE": False, "RATELIMIT_ENABLED": False})


def full_sync(s: Session, page_times: list[float] | None = None) -> tuple[int, int]:
    """Every pull page from cursor 0: (pages, rows). Each page's time is added to `page_times`."""
    cursor, pages, rows = 0, 0, 0
    while True:
        started = time.perf_counter()
        body = s.get(f"/api/v1/sync/pull?cursor={cursor}")
        if page_times is not None:
            page_times.append(time.perf_counter() - started)
        pages += 1
        rows += len(body["changes"])
        cursor = body["cursor"]
        if not body["more"]:
            return pages, rows


def pull_pages(s: Session, n: int) -> None:
    cursor = 0
    for _ in range(n):
        body = s.get(f"/api/v1/sync/pull?cursor={cursor}")
        cursor = body["cursor"]
        if not body["more"]:
            return


MANAGER_SYNC_LIMIT = 60.0


def manager_full_sync(database: str) -> dict:
    """Manager 1's first sync of everything in their scope, page by page."""
    from sqlalchemy import func, select

    from server.extensions import db
    from server.models import Person, User, UserService

    app = app_for(database)
    with app.app_context():
        people = db.session.execute(
            select(func.count()).select_from(Person).join(UserService, UserService.service_id == Person.service_id)
            .join(User, User.id == UserService.user_id).where(User.email == "manager1@scale.example")).scalar_one()
        db.session.remove()
    pages: list[float] = []
    t0 = time.perf_counter()
    _, rows = full_sync(Session(app, "manager1@scale.example"), pages)
    return {"people": people, "seconds": time.perf_counter() - t0, "pages": len(pages), "rows": rows,
            "first": statistics.median(pages[:10]), "last": statistics.median(pages[-11:-1] or pages[-1:])}


def measure(database: str) -> dict:
    app = app_for(database)
    worker = Session(app, "worker1@scale.example")
    manager = Session(app, "manager1@scale.example")
    pages, rows = full_sync(worker)
    return {
        "session": timed(lambda: worker.get("/api/v1/session"), 9),
        "worker full sync": timed(lambda: full_sync(worker)),
        "worker GET /people": timed(lambda: worker.get("/api/v1/people")),
        "manager GET /people": timed(lambda: manager.get("/api/v1/people"), 1),
        "manager 5 pull pages": timed(lambda: pull_pages(manager, 5), 1),
        "_pages": pages,
        "_rows": rows,
    }


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
    noise = large["session"] / small["session"]
    limit = max(2.0, 2 * noise)
    print(f"P2 read paths: {args.small:,} vs {args.large:,} people (worker 1: {large['_pages']} pages, {large['_rows']:,} rows)")
    print(f"  limit for a ratio: {limit:.2f} (2 x GET /session's own large/small ratio {noise:.2f}, at least 2)")
    failed = False
    for key in [k for k in small if not k.startswith("_") and k != "session"]:
        ratio = large[key] / small[key]
        held = key.startswith("worker")
        over = held and ratio > limit
        failed |= over
        print(f"  {key:24} {small[key] * 1000:9.1f} ms  {large[key] * 1000:9.1f} ms  ratio {ratio:5.2f}"
              + ("  OVER THE LIMIT" if over else "" if held else "  (scope grows with the organisation: shown, not held)"))
    sync = manager_full_sync(database_for(args.large, False, args.large_database))
    over = sync["seconds"] > MANAGER_SYNC_LIMIT
    print(f"  manager 1's full first sync ({sync['people']:,} people): {sync['seconds']:.1f} s, {sync['pages']} pages, "
          f"{sync['rows']:,} rows ({sync['rows'] / sync['seconds']:,.0f} rows/s); ratio to the 60 s limit "
          f"{sync['seconds'] / MANAGER_SYNC_LIMIT:.2f}{'  OVER THE LIMIT' if over else ''}")
    print(f"    a page: {sync['first'] * 1000:.0f} ms (median of the first ten) vs {sync['last'] * 1000:.0f} ms (of the last ten)")
    return 1 if failed or over else 0


if __name__ == "__main__":
    sys.exit(main())
