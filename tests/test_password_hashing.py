"""Password hashes are worked out one at a time per process: scrypt needs 32 MiB for each, so a burst of
sign-ins on every thread at once would multiply an app server's memory (bench/load.py saw a worker
grow from about 100 to 235 MB). Checks made at the same moment from several threads all give the
right answer, and no two hashes are ever computed at once."""
from __future__ import annotations

import threading
from types import SimpleNamespace

import werkzeug.security

from server.domain import accounts


def test_password_checks_at_the_same_moment_run_one_at_a_time(monkeypatch):
    users = [SimpleNamespace(password_hash=werkzeug.security.generate_password_hash(f"password-{i}")) for i in range(4)]
    dummy = werkzeug.security.generate_password_hash("dummy")
    running, most = 0, 0
    lock = threading.Lock()
    real_check = werkzeug.security.check_password_hash

    def watched(pwhash: str, password: str) -> bool:
        nonlocal running, most
        with lock:
            running += 1
            most = max(most, running)
        try:
            return real_check(pwhash, password)
        finally:
            with lock:
                running -= 1

    monkeypatch.setattr(accounts, "check_password_hash", watched)
    start = threading.Barrier(len(users) * 2)
    answers: dict[tuple[int, str], bool] = {}

    def check(i: int, password: str) -> None:
        start.wait()
        answers[(i, password)] = accounts.password_matches(users[i], password, dummy)

    threads = [threading.Thread(target=check, args=(i, password))
               for i in range(len(users)) for password in (f"password-{i}", "wrong-password")]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert answers == {(i, password): password != "wrong-password"
                       for i in range(len(users)) for password in (f"password-{i}", "wrong-password")}
    assert most == 1
