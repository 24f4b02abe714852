"""One pass of `make test` on one database: the browser tests (tests/e2e, one Chromium at a time)
and the rest of the suite run side by side as two pytest processes, on a 2-core machine about half
the time of running them one after the other.

Each part has its own database (on PostgreSQL `<name>_browser` and `<name>_rest`, each built by the
migrations), its own temporary folder and its own log in the artifacts folder, and leaves a record
(`pass-<database>-<part>.json`) that scripts/check_test_passes.py checks. Each part's output is
printed whole once it ends, so a failure reads as it would from a single pytest run.

    python scripts/test_pass.py sqlite [pytest args...]
    python scripts/test_pass.py postgresql [pytest args...]   (TEST_DATABASE_URL, or the local server)
"""
from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LOCAL_POSTGRES = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
PARTS = {
    "browser": ["tests/e2e"],
    "rest": ["tests", "--ignore=tests/e2e"],
}
PROGRESS_EVERY_S = 120


def environment(database: str, part: str, record: Path) -> dict[str, str]:
    env = dict(os.environ, TANDEM_TEST_PART=part, TANDEM_PASS_RECORD=str(record))
    if database == "sqlite":
        env.pop("TEST_DATABASE_URL", None)
    else:
        env["TEST_DATABASE_URL"] = env.get("TEST_DATABASE_URL") or LOCAL_POSTGRES
    return env


def main(argv: list[str]) -> int:
    if not argv or argv[0] not in ("sqlite", "postgresql"):
        print(__doc__, file=sys.stderr)
        return 2
    database, extra = argv[0], argv[1:]
    artifacts = ROOT / "test-artifacts"
    artifacts.mkdir(exist_ok=True)
    temp = Path(tempfile.mkdtemp(prefix=f"tandem-{database}-"))
    started = time.monotonic()
    running = {}
    for part, paths in PARTS.items():
        record = artifacts / f"pass-{database}-{part}.json"
        record.unlink(missing_ok=True)
        log_path = artifacts / f"pass-{database}-{part}.log"
        log = log_path.open("w")
        command = [sys.executable, "-m", "pytest", *paths, f"--basetemp={temp / part}", *extra]
        proc = subprocess.Popen(command, cwd=ROOT, env=environment(database, part, record),
                                stdout=log, stderr=subprocess.STDOUT)
        running[part] = (proc, log, log_path)
        print(f"[{database}] {part}: {' '.join(command[1:])}  (log: {log_path.relative_to(ROOT)})", flush=True)

    codes = {}
    next_progress = PROGRESS_EVERY_S
    while len(codes) < len(running):
        for part, (proc, log, _) in running.items():
            if part not in codes and proc.poll() is not None:
                codes[part] = proc.returncode
                log.close()
                print(f"[{database}] {part} ended (exit {proc.returncode}) after "
                      f"{time.monotonic() - started:.0f} s", flush=True)
        if len(codes) < len(running):
            time.sleep(1)
            elapsed = time.monotonic() - started
            if elapsed >= next_progress:
                next_progress += PROGRESS_EVERY_S
                print(f"[{database}] still running after {elapsed:.0f} s: "
                      f"{', '.join(p for p in running if p not in codes)}", flush=True)

    for part, (_, _, log_path) in running.items():
        print(f"\n===== {database}: {part} =====", flush=True)
        sys.stdout.write(log_path.read_text())
    sys.stdout.flush()
    failed = [part for part, code in codes.items() if code != 0]
    print(f"\n[{database}] {'failed: ' + ', '.join(failed) if failed else 'both parts passed'} "
          f"in {time.monotonic() - started:.0f} s", flush=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
