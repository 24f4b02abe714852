"""Checks that `make test` really ran both passes: one on SQLite and one on PostgreSQL, each with
every collected test passing and none skipped. Reads the records tests/conftest.py writes."""
from __future__ import annotations

import json
import sys
from pathlib import Path

EXPECTED = {"pass-sqlite.json": "sqlite", "pass-postgresql.json": "postgresql"}


def main(folder: str) -> int:
    problems = []
    for name, database in EXPECTED.items():
        path = Path(folder) / name
        if not path.exists():
            problems.append(f"the {database} pass did not run (no {path})")
            continue
        record = json.loads(path.read_text())
        if record.get("database") != database:
            problems.append(f"{path} ran on {record.get('database')}, not {database}")
        if record.get("exitstatus") != 0 or record.get("failed") or record.get("error"):
            problems.append(f"the {database} pass failed: {record}")
        if not record.get("passed"):
            problems.append(f"the {database} pass ran no tests: {record}")
        if record.get("skipped") or record.get("xfailed"):
            problems.append(f"the {database} pass skipped tests: {record}")
        print(f"{database}: {record.get('passed')} passed, {record.get('skipped', 0)} skipped, "
              f"{record.get('seconds', '?')} s")
    for problem in problems:
        print("error:", problem, file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1] if len(sys.argv) > 1 else "test-artifacts"))
