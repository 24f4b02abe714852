"""Checks that `make test` really ran both passes, one on SQLite and one on PostgreSQL, each in its
two parts (the browser tests and the rest), with every collected test passing and none skipped.
Reads the records tests/conftest.py writes (`pass-<database>-<part>.json`)."""
from __future__ import annotations

import json
import sys
from pathlib import Path

DATABASES = ("sqlite", "postgresql")
PARTS = ("browser", "rest")


def problems_with(path: Path, database: str, part: str) -> tuple[dict, list[str]]:
    if not path.exists():
        return {}, [f"the {database} pass's {part} tests did not run (no {path})"]
    record = json.loads(path.read_text())
    problems = []
    if record.get("database") != database:
        problems.append(f"{path} ran on {record.get('database')}, not {database}")
    if record.get("exitstatus") != 0 or record.get("failed") or record.get("error"):
        problems.append(f"the {database} pass's {part} tests failed: {record}")
    if not record.get("passed"):
        problems.append(f"the {database} pass's {part} tests ran nothing: {record}")
    if record.get("skipped") or record.get("xfailed"):
        problems.append(f"the {database} pass's {part} tests skipped some: {record}")
    return record, problems


def main(folder: str) -> int:
    problems = []
    for database in DATABASES:
        line = []
        for part in PARTS:
            record, found = problems_with(Path(folder) / f"pass-{database}-{part}.json", database, part)
            problems += found
            line.append(f"{part} {record.get('passed', 0)} passed, {record.get('skipped', 0)} skipped, "
                        f"{record.get('seconds', '?')} s")
        print(f"{database}: " + "; ".join(line))
    for problem in problems:
        print("error:", problem, file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1] if len(sys.argv) > 1 else "test-artifacts"))
