"""`make test` fails unless both passes ran in full: the check that reads the pass records."""
from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "scripts"))
import check_test_passes


def write(folder: Path, name: str, part: str, **fields) -> None:
    record = {"database": name, "exitstatus": 0, "collected": 10, "seconds": 5, "passed": 10,
              "failed": 0, "error": 0, "skipped": 0, "xfailed": 0, **fields}
    (folder / f"pass-{name}-{part}.json").write_text(json.dumps(record))


def all_green(folder: Path) -> None:
    for database in ("sqlite", "postgresql"):
        for part in ("browser", "rest"):
            write(folder, database, part)


def test_both_passes_in_both_parts_green_is_accepted(tmp_path, capsys):
    all_green(tmp_path)
    assert check_test_passes.main(str(tmp_path)) == 0
    out = capsys.readouterr().out
    assert "sqlite: browser 10 passed" in out and "postgresql: browser 10 passed" in out


@pytest.mark.parametrize(("database", "part", "fields", "says"), [
    ("postgresql", "browser", None, "did not run"),
    ("sqlite", "rest", {"failed": 1, "exitstatus": 1}, "failed"),
    ("sqlite", "browser", {"skipped": 2}, "skipped"),
    ("postgresql", "rest", {"passed": 0, "exitstatus": 5}, "ran nothing"),
    ("postgresql", "rest", {"database": "sqlite"}, "ran on sqlite"),
])
def test_a_missing_failed_skipped_or_misplaced_part_fails_the_run(tmp_path, capsys, database, part, fields, says):
    all_green(tmp_path)
    if fields is None:
        (tmp_path / f"pass-{database}-{part}.json").unlink()
    else:
        write(tmp_path, database, part, **fields)
    assert check_test_passes.main(str(tmp_path)) == 1
    assert says in capsys.readouterr().err
