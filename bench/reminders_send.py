"""Benchmark (not a test), issue 16: `flask reminders send` for a large organisation, end to end.

Makes (or reuses) an organisation of N people with bench/make_org.py, copies it (the job writes),
gives a share of the staff (SUBSCRIBED) a Web Push subscription at a local HTTPS push receiver on
127.0.0.1 (tests/push_receiver.py: it checks VAPID and decrypts every aes128gcm body, as a browser's
push service and the browser would), and runs `flask reminders send` in a subprocess, twice:

* run 1 claims and pushes everything due: wall time, the job's peak RSS (ru_maxrss of the child),
  the notices it claimed (inbox rows) and the pushes the receiver got and decrypted;
* run 2 must claim and push nothing new (exactly once).

Prints each figure against the limits of issue 16 (30 s, 200 MB at 50,000 people) and, as a
yardstick measured in the same run, against a raw SQL scan (in its own subprocess) of the rows the
due rules read: every active outcome with its latest review, each person's latest feedback
conversation and recent weekly checks. Exits 1 if run 2 sent anything or a push failed to decrypt.

    .venv/bin/python bench/reminders_send.py                     # 2,000 people (quick)
    .venv/bin/python bench/reminders_send.py --people 50000      # the full run (make bench SCALE=50000)
    .venv/bin/python bench/reminders_send.py --database postgresql+psycopg://postgres@127.0.0.1:5432/bench_reminders

With --database (PostgreSQL), that database is dropped and made again for each run of this script;
--template NAME copies an organisation made earlier instead (make_org.py N --database …/NAME):

    .venv/bin/python bench/reminders_send.py --people 50000 --template bench50k \
        --database postgresql+psycopg://postgres@127.0.0.1:5432/bench_reminders
"""
from __future__ import annotations

import argparse
import os
import random
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import make_org

LIMIT_SECONDS = 30.0
LIMIT_MB = 200.0
SUBSCRIBED = 0.6  # the share of staff who turned reminders on in their browser
BIN = Path(sys.executable).parent

# The rows the due rules read (server/domain/due.py), in plain SQL, fetched to the client: the floor
# under anything that looks at every active outcome and person.
SCAN = [
    """SELECT o.id, o.review_every, o.starts_on, p.service_id,
              (SELECT r.happened_at FROM reviews r WHERE r.outcome_id = o.id ORDER BY r.happened_at DESC, r.id DESC LIMIT 1)
       FROM outcomes o JOIN people p ON p.id = o.person_id WHERE o.status = 'active' AND p.ended_on IS NULL""",
    """SELECT p.id, p.service_id, p.joined_on, (SELECT MAX(f.happened_at) FROM feedback_conversations f WHERE f.person_id = p.id)
       FROM people p WHERE p.ended_on IS NULL""",
    """SELECT w.person_id, w.week_of FROM weekly_checks w JOIN people p ON p.id = w.person_id
       WHERE p.weekly_checks AND p.ended_on IS NULL AND w.week_of >= :since""",
]

SCAN_CHILD = """
import sys, time
from datetime import date, timedelta
from sqlalchemy import create_engine, text
engine = create_engine(sys.argv[1])
queries = sys.argv[2:]
t0 = time.perf_counter()
rows = 0
with engine.connect() as c:
    for q in queries:
        rows += len(c.execute(text(q), {"since": date.today() - timedelta(days=14)} if ":since" in q else {}).all())
print(rows, time.perf_counter() - t0)
"""


# Starts the measured process and reports its peak RSS: resource.getrusage(RUSAGE_CHILDREN) of this
# small launcher is the peak of its one child. (Forked straight from this benchmark, the child's
# ru_maxrss would count the benchmark's own pages, copied at the fork, before it execs.)
LAUNCHER = """
import resource, subprocess, sys
code = subprocess.call(sys.argv[1:])
sys.stdout.flush()
print("MAXRSS_KB", resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)
sys.exit(code)
"""


def run_child(args: list[str], env: dict) -> tuple[float, float, str, int]:
    """(wall seconds, peak RSS in MB, output, exit code) of one subprocess."""
    t0 = time.perf_counter()
    proc = subprocess.run([sys.executable, "-c", LAUNCHER, *args], cwd=ROOT, env=env, stdout=subprocess.PIPE,
                          stderr=subprocess.STDOUT, text=True, check=False)
    seconds = time.perf_counter() - t0
    lines = proc.stdout.rstrip().splitlines()
    kb = int(lines[-1].split()[1]) if lines and lines[-1].startswith("MAXRSS_KB") else 0
    if sys.platform == "darwin":
        kb //= 1024
    return seconds, kb / 1024, "\n".join(lines[:-1]), proc.returncode


def fresh_copy(people: int, reuse: bool) -> str:
    """A copy of bench-data/org-N.sqlite3 (made if missing) that this run may write to."""
    source = ROOT / "bench-data" / f"org-{people}.sqlite3"
    if not reuse or not source.exists():
        make_org.make(people, str(source))
    target = ROOT / "bench-data" / f"reminders-{people}.sqlite3"
    for suffix in ("", "-wal", "-shm"):
        Path(str(target) + suffix).unlink(missing_ok=True)
    with sqlite3.connect(source) as src, sqlite3.connect(target) as dst:
        src.backup(dst)
    return f"sqlite:///{target}"


def fresh_postgres(url: str, people: int, template: str | None = None) -> str:
    """Drop and make the database at `url` again: a copy of the database `template` (an organisation
    made earlier by make_org.py --database, which is left as it is), else a new organisation."""
    import psycopg
    from sqlalchemy.engine import make_url

    parsed = make_url(url)
    admin = parsed.set(database="postgres").render_as_string(hide_password=False).replace("postgresql+psycopg", "postgresql")
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{parsed.database}"')
        conn.execute(f'CREATE DATABASE "{parsed.database}"' + (f' TEMPLATE "{template}"' if template else ""))
    if not template:
        make_org.make(people, url, quiet=True)
    return url


def subscribe_staff(database: str, receiver, share: float) -> int:
    """Give `share` of the active staff accounts one push subscription each, at the receiver."""
    from sqlalchemy import select

    from server import create_app
    from server.domain import access
    from server.extensions import db
    from server.models import PushSubscription, User

    app = create_app({"SQLALCHEMY_DATABASE_URI": database, "SECRET_KEY": "bench", "RATELIMIT_STORAGE_URI": "memory://"})
    rng = random.Random(16)
    with app.app_context():
        staff = db.session.execute(select(User.id).where(User.active.is_(True), User.role.in_(access.STAFF)).order_by(User.id)).scalars().all()
        chosen = [uid for uid in staff if rng.random() < share]
        for uid in chosen:
            sub = receiver.subscription()
            db.session.add(PushSubscription(user_id=uid, endpoint=sub["endpoint"], p256dh=sub["keys"]["p256dh"], auth=sub["keys"]["auth"]))
        db.session.commit()
        db.session.remove()
        db.engine.dispose()
    return len(chosen)


def count_notifications(database: str) -> int:
    from sqlalchemy import create_engine, text

    engine = create_engine(database)
    with engine.connect() as c:
        n = c.execute(text("SELECT COUNT(*) FROM notifications")).scalar_one()
    engine.dispose()
    return n


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--people", type=int, default=2000)
    parser.add_argument("--fresh", action="store_true", help="make the organisation again (SQLite)")
    parser.add_argument("--database", help="a PostgreSQL URL: dropped, made again and used (default: SQLite in bench-data/)")
    parser.add_argument("--template", help="with --database: copy this PostgreSQL database (an organisation of --people "
                                           "made by make_org.py) instead of making the organisation again")
    args = parser.parse_args(argv)

    from tests.push_receiver import PushReceiver

    database = fresh_postgres(args.database, args.people, args.template) if args.database else fresh_copy(args.people, not args.fresh)
    with tempfile.TemporaryDirectory() as tmp:
        receiver = PushReceiver(Path(tmp))
        try:
            subscribed = subscribe_staff(database, receiver, SUBSCRIBED)
            private, public = vapid_keys()
            env = {k: v for k, v in os.environ.items() if not k.startswith("TANDEM_")}
            env.update({
                "DATABASE_URL": database, "SECRET_KEY": "bench", "VAPID_PRIVATE_KEY": private, "VAPID_PUBLIC_KEY": public,
                "PUSH_ALLOWED_HOSTS": "127.0.0.1", "REQUESTS_CA_BUNDLE": receiver.ca_file, "REMINDERS_INTERVAL_MINUTES": "0",
                "RATELIMIT_STORAGE_URI": "memory://", "FLASK_APP": "server", "NO_PROXY": "127.0.0.1,localhost",
                "no_proxy": "127.0.0.1,localhost",
            })
            env.pop("TEST_DATABASE_URL", None)
            engine_name = "PostgreSQL" if database.startswith("postgresql") else "SQLite"

            scan_s, scan_mb, scan_out, code = run_child([sys.executable, "-c", SCAN_CHILD, database, *SCAN], env)
            if code:
                print(scan_out)
                return 1
            scan_rows = int(scan_out.split()[0])
            scan_query_s = float(scan_out.split()[1])

            results = []
            for run in (1, 2):
                before_rows, before_pushes = count_notifications(database), len(receiver.received)
                seconds, mb, out, code = run_child([str(BIN / "flask"), "reminders", "send"], env)
                if code:
                    print(out)
                    return 1
                claimed = count_notifications(database) - before_rows
                got = receiver.received[before_pushes:]
                results.append((seconds, mb, claimed, got, out.strip().splitlines()[-1] if out.strip() else ""))
        finally:
            receiver.close()
    problems = [r for _, _, _, got, _ in results for r in got if r.problems or r.answered != 201]

    (t1, mb1, claimed1, got1, line1), (t2, mb2, claimed2, got2, line2) = results
    print(f"reminders send: {args.people:,} people on {engine_name}, {subscribed:,} staff with a push subscription "
          f"({SUBSCRIBED:.0%}); machine: {os.cpu_count()} cores, load {os.getloadavg()[0]:.2f}")
    print(f"  raw SQL scan of the due rows: {scan_rows:,} rows in {scan_query_s:.2f} s (process {scan_s:.2f} s, peak {scan_mb:.0f} MB)")
    print(f"  run 1: {t1:6.2f} s  peak {mb1:6.1f} MB  {claimed1:,} notices claimed, {len(got1):,} pushes delivered and decrypted")
    print(f"         {line1}")
    print(f"         time {t1 / LIMIT_SECONDS:.2f} x the 30 s limit, {t1 / scan_s:.1f} x the scan; "
          f"memory {mb1 / LIMIT_MB:.2f} x the 200 MB limit, {mb1 / scan_mb:.1f} x the scan's")
    print(f"  run 2: {t2:6.2f} s  peak {mb2:6.1f} MB  {claimed2:,} new notices, {len(got2):,} pushes  ({line2})")
    failed = False
    if claimed2 or got2:
        print("  NOT EXACTLY ONCE: the second run sent again")
        failed = True
    if problems:
        print(f"  {len(problems)} pushes were refused or did not decrypt: {problems[0].problems or problems[0].answered}")
        failed = True
    if args.people >= 50000 and (t1 > LIMIT_SECONDS or mb1 > LIMIT_MB):
        print("  OVER THE LIMIT")
    return 1 if failed else 0


def vapid_keys() -> tuple[str, str]:
    """A fresh VAPID key pair: (private key PEM, public key as base64url uncompressed point)."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ec

    from server.domain.push import b64url

    key = ec.generate_private_key(ec.SECP256R1())
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()).decode()
    return pem, b64url(key.public_key().public_bytes(serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint))


if __name__ == "__main__":
    sys.exit(main())
