"""Many users' pushes at once (push.deliver_many, which the reminders job uses): every push reaches
its browser once and decrypts, each user's answer comes back in the order asked whatever order the
threads finish in, retries and refusals are per subscription, and more than one is in flight."""
from __future__ import annotations

import threading
import time

from server.domain import push
from tests.push_receiver import receiver  # noqa: F401 - the fixture


def target(receiver, n: int) -> tuple[push.Target, dict]:
    sub = receiver.subscription()
    return push.Target(f"sub-{n}", sub["endpoint"], sub["keys"]["p256dh"], sub["keys"]["auth"]), sub


def test_many_users_pushes_each_arrive_once_in_order_and_concurrently(app, receiver, monkeypatch):
    made = [target(receiver, n) for n in range(24)]
    gone, busy = made[3][1], made[7][1]
    receiver.answer(gone, 410)
    receiver.answer(busy, 429, Retry_After="1")
    jobs = [([t], {"title": f"{n} reviews due", "url": "/notifications"}, "normal") for n, (t, _) in enumerate(made)]
    jobs.insert(5, ([], {"title": "nobody to tell"}, "normal"))  # a user with no subscription

    in_flight, most, lock = 0, 0, threading.Lock()
    deliver = push.deliver

    def counting(*args, **kwargs):
        nonlocal in_flight, most
        with lock:
            in_flight += 1
            most = max(most, in_flight)
        try:
            time.sleep(0.02)  # a push service's answer takes a while
            return deliver(*args, **kwargs)
        finally:
            with lock:
                in_flight -= 1

    monkeypatch.setattr(push, "deliver", counting)
    waits = []
    with app.app_context():
        app.config["PUSH_CONCURRENCY"] = 4
        results = push.deliver_many(jobs, sleep=waits.append)

    assert len(results) == len(jobs) and results[5] == []
    results = results[:5] + results[6:]
    assert [[t.id for t, _ in r] for r in results] == [[f"sub-{n}"] for n in range(24)]
    statuses = [r[0][1].status for r in results]
    assert statuses[3] == "gone" and statuses.count("sent") == 23
    assert results[7][0][1].tries == 2 and waits == [1.0]  # 429, waited as told, then sent
    for n, (_, sub) in enumerate(made):
        arrived = [r for r in receiver.to(sub) if r.answered == 201]
        assert len(arrived) == (0 if n == 3 else 1)
        if arrived:
            assert not arrived[0].problems and arrived[0].payload["title"] == f"{n} reviews due"
    assert 1 < most <= 4


def test_one_at_a_time_when_configured_so(app, receiver):
    made = [target(receiver, n) for n in range(3)]
    with app.app_context():
        app.config["PUSH_CONCURRENCY"] = 1
        results = push.deliver_many([([t], {"title": "x"}, "high") for t, _ in made])
    assert [r[0][1].status for r in results] == ["sent"] * 3
    assert all(r.headers.get("urgency") == "high" for r in receiver.received)
