"""Rule data the server and the offline app share, read from one file: server/data/rules.json.

The domain modules read their constants here (review intervals, the priority limit, owner-label
words, the words a drop asks for); routes/client.py reads the app's routes. The app cannot read the
JSON file offline without a build step, so `python -m server.domain.rule_data` writes the same data
as an ES module, client/js/generated/rules.js, which is committed; tests/test_client_server_rules.py
fails when that module is stale and checks the app's rule functions give the server's answers.
A leaf module: it imports nothing of the project."""
from __future__ import annotations

import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SOURCE = ROOT / "server" / "data" / "rules.json"
CLIENT_MODULE = ROOT / "client" / "js" / "generated" / "rules.js"
REGENERATE = "python -m server.domain.rule_data"

RULES: dict = json.loads(SOURCE.read_text(encoding="utf-8"))

REVIEW_INTERVAL_DAYS: dict[str, int] = RULES["review_interval_days"]
DEFAULT_REVIEW_INTERVAL_DAYS: int = RULES["default_review_interval_days"]
MAX_PRIORITY_PER_QUARTER: int = RULES["max_priority_per_quarter"]
OWNER_LABEL_WORDS: dict[str, str] = RULES["owner_label_words"]
DROP_EXPLANATION_FIELDS: dict[str, str] = RULES["drop_explanation_fields"]
APP_ROUTES: list[str] = RULES["app_routes"]

# The ES module's export names, one per entry of rules.json.
_EXPORTS = {
    "review_interval_days": "REVIEW_INTERVAL_DAYS",
    "default_review_interval_days": "DEFAULT_REVIEW_INTERVAL_DAYS",
    "max_priority_per_quarter": "MAX_PRIORITY_PER_QUARTER",
    "owner_label_words": "OWNER_LABEL_WORDS",
    "drop_explanation_fields": "DROP_EXPLANATION_FIELDS",
    "app_routes": "APP_ROUTES",
}


def client_module() -> str:
    """The text of client/js/generated/rules.js for the current rules.json."""
    lines = [
        "// GENERATED from server/data/rules.json: do not edit. After changing that file run",
        f"//   {REGENERATE}",
        "// (tests/test_client_server_rules.py fails while this file is out of date).",
    ]
    for key, name in _EXPORTS.items():
        value = json.dumps(RULES[key], indent=2, ensure_ascii=False)
        if isinstance(RULES[key], (dict, list)):
            value = f"Object.freeze({value})"
        lines.append(f"export const {name} = {value};")
    unknown = set(RULES) - set(_EXPORTS) - {"_about"}
    if unknown:
        raise ValueError(f"rules.json has entries with no export name: {sorted(unknown)}")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    CLIENT_MODULE.parent.mkdir(parents=True, exist_ok=True)
    CLIENT_MODULE.write_text(client_module(), encoding="utf-8")
    sys.stdout.write(f"wrote {CLIENT_MODULE.relative_to(ROOT)}\n")
