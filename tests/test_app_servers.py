"""More than one app server: two gunicorn instances on one database and one Redis, as a provider that
has outgrown one machine runs Tandem (docs/DEPLOY.md). Nothing here is mocked: real processes, real
HTTP, the pass's database (a SQLite file, or PostgreSQL), and Debian's redis-server.

- The same sync batch pushed to both servers at the same moment is applied once.
- A login limit reached on one server holds on the other (rate limits live in Redis).
- `flask reminders send` run on both hosts at once sends each reminder once.
"""
from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import threading
import time
import uuid
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
import requests
from sqlalchemy import func, select

from server.extensions import db
from server.models import EvidenceNote, MutationResult, Notification, Outcome, Person, Review
from tests.push_receiver import receiver  # noqa: F401 - the fixture

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_until(check, seconds: float, what: str) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            if check():
                return
        except (OSError, requests.RequestException):
            pass
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}")


@pytest.fixture
def redis_url(tmp_path):
    server = shutil.which("redis-server") or "/usr/bin/redis-server"
    if not Path(server).exists():
        pytest.fail("redis-server is not installed: install Debian's redis-server (the multi-server tests need it).")
    port = free_port()
    proc = subprocess.Popen(
        [server, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", str(tmp_path)],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )

    def ping():
        with socket.create_connection(("127.0.0.1", port), timeout=1) as s:
            s.sendall(b"PING\r\n")
            return s.recv(16).startswith(b"+PONG")

    try:
        wait_until(ping, 20, "redis-server")
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        proc.terminate()
        proc.wait(10)


@pytest.fixture
def environment(demo, redis_url, tmp_path):
    """What each app server and each reminders host is started with: the same database, secrets,
    push keys and Redis."""
    app = demo
    with app.app_context():
        db.session.remove()
        db.engine.dispose()
    env = {k: v for k, v in os.environ.items() if not k.startswith("TANDEM_")}
    env.update({
        "DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"],
        "SECRET_KEY": app.config["SECRET_KEY"],
        "VAPID_PRIVATE_KEY": app.config["VAPID_PRIVATE_KEY"],
        "VAPID_PUBLIC_KEY": app.config["VAPID_PUBLIC_KEY"],
        "RATELIMIT_STORAGE_URI": redis_url,
        "PUSH_ALLOWED_HOSTS": "127.0.0.1",
        "REMINDERS_INTERVAL_MINUTES": "0",
        "TANDEM_DEVELOPMENT": "true",  # plain http on 127.0.0.1: cookies without the Secure flag
        "FLASK_APP": "server",
        "NO_PROXY": "127.0.0.1,localhost",
        "no_proxy": "127.0.0.1,localhost",
    })
    env.pop("TEST_DATABASE_URL", None)
    return env


@pytest.fixture
def two_servers(environment, tmp_path):
    procs, urls = [], []
    for name in ("a", "b"):
        port = free_port()
        log = open(tmp_path / f"gunicorn-{name}.log", "wb")
        procs.append((subprocess.Popen(
            [str(BIN / "gunicorn"), "--workers", "2", "--threads", "4", "--bind", f"127.0.0.1:{port}",
             "--graceful-timeout", "5", "server:create_app()"],
            cwd=ROOT, env=environment, stdout=log, stderr=subprocess.STDOUT,
        ), log))
        urls.append(f"http://127.0.0.1:{port}")
    try:
        for url in urls:
            wait_until(lambda url=url: requests.get(url + "/healthz", timeout=2).status_code == 200, 60, f"gunicorn at {url}")
        yield urls
    finally:
        for proc, log in procs:
            proc.terminate()
        for proc, log in procs:
            try:
                proc.wait(15)
            except subprocess.TimeoutExpired:
                proc.kill()
            log.close()


def signed_in(url: str, email: str) -> requests.Session:
    s = requests.Session()
    s.trust_env = False
    token = s.get(url + "/api/v1/session", timeout=10).json()["csrf_token"]
    r = s.post(url + "/api/v1/session", json={"email": email, "password": "demo-password"},
               headers={"X-CSRF-Token": token}, timeout=10)
    assert r.status_code == 200, r.text
    s.headers["X-CSRF-Token"] = r.json()["csrf_token"]
    return s


def test_the_same_batch_pushed_to_both_servers_at_once_is_applied_once(two_servers, demo):
    a, b = two_servers
    with demo.app_context():
        outcome_id = db.session.execute(
            select(Outcome.id).join(Person, Person.id == Outcome.person_id).where(Person.name == "Sam Taylor", Outcome.status == "active")
        ).scalars().first()
        reviews_before = db.session.scalar(select(func.count()).select_from(Review))
    # One worker's session, used on both servers (the session lives in the shared database).
    worker = signed_in(a, "worker@demo.example")
    device = str(uuid.uuid4())
    now = datetime.now(timezone.utc).replace(microsecond=0)
    mutations = [{
        "id": n,
        "name": "review.create",
        "args": {"id": str(uuid.uuid4()), "outcome_id": outcome_id, "score": 5, "rated_by": "together",
                 "happened_at": (now - timedelta(minutes=30 - n)).isoformat(), "evidence": [f"Two servers {n}"]},
    } for n in range(1, 21)]
    body = {"device_id": device, "mutations": mutations}
    barrier = threading.Barrier(2)
    replies: dict[str, object] = {}

    def push(url):
        barrier.wait()
        try:
            replies[url] = worker.post(url + "/api/v1/sync/push", json=body, timeout=60)
        except Exception as exc:  # noqa: BLE001 - reported below, in the test's thread
            replies[url] = exc

    threads = [threading.Thread(target=push, args=(url,)) for url in (a, b)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(90)
    statuses = []
    for url in (a, b):
        r = replies[url]
        assert isinstance(r, requests.Response), r
        assert r.status_code == 200, r.text
        assert r.json()["last_mutation_id"] == 20
        statuses.append([x["status"] for x in r.json()["results"]])
    # One server applied the batch; the other waited on the device's lock and then answered each
    # mutation as a duplicate of what was stored (SYNC.md: a replay gets the original result).
    assert sorted(statuses) == [["applied"] * 20, ["duplicate"] * 20], statuses
    with demo.app_context():
        db.session.expire_all()
        assert db.session.scalar(select(func.count()).select_from(Review)) == reviews_before + 20
        notes = db.session.execute(
            select(EvidenceNote.text, func.count()).where(EvidenceNote.text.like("Two servers %")).group_by(EvidenceNote.text)
        ).all()
        assert sorted(notes) == sorted((f"Two servers {n}", 1) for n in range(1, 21))
        assert db.session.scalar(select(func.count()).select_from(MutationResult).where(MutationResult.device_id == device)) == 20


def test_a_login_limit_reached_on_one_server_holds_on_the_other(two_servers, demo):
    a, b = two_servers
    limit = int(demo.config["LOGIN_LIMIT_PER_ACCOUNT"].split()[0])

    def attempt(url, password):
        s = requests.Session()
        s.trust_env = False
        token = s.get(url + "/api/v1/session", timeout=10).json()["csrf_token"]
        return s.post(url + "/api/v1/session", json={"email": "worker@demo.example", "password": password},
                      headers={"X-CSRF-Token": token}, timeout=10)

    for _ in range(limit):
        assert attempt(a, "not the password").status_code == 401
    # The next try, on the other server and with the right password, is refused all the same.
    refused = attempt(b, "demo-password")
    assert refused.status_code == 429, refused.text
    assert refused.json()["error"]["code"]


def test_reminders_sent_from_two_hosts_at_once_go_out_once(environment, demo, receiver, tmp_path):
    subscriptions = {}
    with demo.app_context():
        from server.models import PushSubscription, User

        for email in ("worker@demo.example", "manager@demo.example"):
            sub = receiver.subscription()
            user = db.session.execute(select(User).where(User.email == email)).scalar_one()
            db.session.add(PushSubscription(user_id=user.id, endpoint=sub["endpoint"], p256dh=sub["keys"]["p256dh"], auth=sub["keys"]["auth"]))
            subscriptions[email] = sub
        db.session.commit()
        db.session.remove()
        db.engine.dispose()
    env = dict(environment, REQUESTS_CA_BUNDLE=receiver.ca_file)
    runs = [subprocess.Popen([str(BIN / "flask"), "reminders", "send"], cwd=ROOT, env=env,
                             stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True) for _ in range(2)]
    outputs = [proc.communicate(timeout=120)[0] for proc in runs]
    assert [proc.returncode for proc in runs] == [0, 0], outputs
    with demo.app_context():
        keys = db.session.execute(select(Notification.dedupe_key)).scalars().all()
        assert keys and len(keys) == len(set(keys))
    # Each user with a subscription got exactly one push, from whichever host claimed their reminders.
    for email, sub in subscriptions.items():
        assert [r.answered for r in receiver.to(sub)] == [201], (email, outputs)
    assert all(not r.problems for r in receiver.received)
