"""Jobs that run outside requests, and where their commits happen.

The reminders job (domain/reminders.py) commits as it goes, one piece at a time, so that it never
holds the organisation in one transaction: each user's claims, each push's outcome, the overdue
escalations. The domain decides what each piece is; the unit of work it is handed here
(server/unit_of_work.write) commits it. The `flask reminders send` command and the optional
in-process scheduler both run it through `send_reminders`.
"""
from __future__ import annotations

import logging
import threading
import time
from datetime import date
from typing import Callable

from . import unit_of_work
from .domain import reminders

log = logging.getLogger(__name__)


def send_reminders(today: date | None = None, sleep: Callable[[float], None] = time.sleep) -> reminders.RunSummary:
    """Send what is due and overdue now (domain/reminders.send_reminders), committing as it goes."""
    return reminders.send_reminders(unit_of_work.write, today=today, sleep=sleep)


# ---- the optional in-process scheduler (single-host installs without cron) ----

class Scheduler:
    """Runs send_reminders every REMINDERS_INTERVAL_MINUTES in a daemon thread. Several processes
    doing this at once is safe (the dedupe guard), merely wasteful: prefer cron with several."""

    def __init__(self, app, minutes: float):
        self.app, self.seconds = app, minutes * 60
        self._stop = threading.Event()
        self.thread = threading.Thread(target=self._run, name="tandem-reminders", daemon=True)

    def start(self) -> "Scheduler":
        self.thread.start()
        return self

    def stop(self, timeout: float = 5) -> None:
        self._stop.set()
        self.thread.join(timeout)

    def _run(self) -> None:
        wait = min(60.0, self.seconds)  # the first run soon after start, not a whole interval later
        while not self._stop.wait(wait):
            try:
                with self.app.app_context():
                    summary = send_reminders()
                if summary.notices:
                    log.info("reminders: %s", summary.line())
            except Exception:  # keep the schedule alive; the next run tries again
                log.exception("reminders run failed")
            wait = self.seconds


def start_scheduler(app) -> Scheduler | None:
    """Started by create_app when REMINDERS_INTERVAL_MINUTES > 0 (and not under tests)."""
    try:
        minutes = float(app.config.get("REMINDERS_INTERVAL_MINUTES") or 0)
    except (TypeError, ValueError):
        log.error("REMINDERS_INTERVAL_MINUTES must be a number of minutes; the reminder scheduler is off")
        return None
    if minutes <= 0 or app.config.get("TESTING"):
        return None
    return Scheduler(app, minutes).start()
