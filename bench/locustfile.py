"""Simulated staff for bench/load.py (P4). Each user is one support worker with a phone: signs in,
pulls their caseload to the end, then records visits (two reviews with evidence and a feedback conversation
per visit) and pushes them as the phone's outbox would, with the device's mutation ids counting up, and
pulls again. Every record id the server answered "applied" is kept, so the driver can check the
database holds each exactly once.

Not run on its own: bench/load.py starts the app servers and locust with LOAD_ACCOUNTS and
LOAD_RESULTS in the environment.
"""
from __future__ import annotations

import json
import os
import random
import threading
import uuid
from datetime import datetime, timedelta, timezone

from locust import HttpUser, between, events, task

ACCOUNTS = json.loads(open(os.environ["LOAD_ACCOUNTS"]).read())  # [{email, password, outcomes: [...], people: [...]}]
_next = iter(range(10**9))
_lock = threading.Lock()
APPLIED: list[str] = []
PROBLEMS: list[str] = []
# Batches sent whose reply never arrived (the run stopped mid-request): the phone still holds them, and
# the driver sends them again, as the outbox would, before checking the database.
PENDING: dict[str, dict] = {}


class Worker(HttpUser):
    wait_time = between(1, 3)

    def on_start(self):
        with _lock:
            self.account = ACCOUNTS[next(_next) % len(ACCOUNTS)]
        self.device = str(uuid.uuid4())
        self.mutation_id = 0
        self.cursor = 0
        token = self.client.get("/api/v1/session", name="session").json()["csrf_token"]
        r = self.client.post("/api/v1/session", json={"email": self.account["email"], "password": self.account["password"]},
                             headers={"X-CSRF-Token": token}, name="sign in")
        self.csrf = r.json()["csrf_token"]
        self.pull_all()

    def pull_all(self):
        while True:
            r = self.client.get(f"/api/v1/sync/pull?cursor={self.cursor}", name="pull")
            if r.status_code != 200:
                return
            body = r.json()
            self.cursor = body["cursor"]
            if not body.get("more"):
                return

    @task
    def visit(self):
        now = datetime.now(timezone.utc).replace(microsecond=0)
        mutations = []
        for outcome_id in random.sample(self.account["outcomes"], k=min(2, len(self.account["outcomes"]))):
            self.mutation_id += 1
            mutations.append({"id": self.mutation_id, "name": "review.create", "at": now.isoformat(), "args": {
                "id": str(uuid.uuid4()), "outcome_id": outcome_id, "score": random.randint(1, 5), "rated_by": "together",
                "happened_at": (now - timedelta(minutes=5)).isoformat(),
                "evidence": [f"Load visit {self.device[:8]}-{self.mutation_id}"],
                "what_changed": "A harder week", "support_adjustment": "Practise the route again",
            }})
        self.mutation_id += 1
        mutations.append({"id": self.mutation_id, "name": "feedback.create", "at": now.isoformat(), "args": {
            "id": str(uuid.uuid4()), "person_id": random.choice(self.account["people"]),
            "happened_at": (now - timedelta(minutes=2)).isoformat(),
            "works_well": "Same worker most days", "feels_difficult": "Mornings feel rushed", "participants": "Person",
        }})
        with _lock:
            PENDING[self.device] = {"email": self.account["email"], "password": self.account["password"],
                                    "device_id": self.device, "mutations": mutations}
        r = self.client.post("/api/v1/sync/push", json={"device_id": self.device, "mutations": mutations},
                             headers={"X-CSRF-Token": self.csrf}, name="push")
        if r.status_code != 200:
            with _lock:
                PROBLEMS.append(f"push {r.status_code}: {r.text[:200]}")
            return
        with _lock:
            PENDING.pop(self.device, None)
        for result in r.json()["results"]:
            with _lock:
                if result["status"] == "applied":
                    APPLIED.append(result["record_id"])
                else:
                    PROBLEMS.append(f"{result['name']} {result['status']}: {json.dumps(result)[:300]}")
        self.pull_all()


@events.test_stop.add_listener
def _write_results(**_kw):
    with open(os.environ["LOAD_RESULTS"], "w") as f:
        json.dump({"applied": APPLIED, "problems": PROBLEMS, "pending": list(PENDING.values())}, f)
