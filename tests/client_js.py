"""Run the app's own JavaScript rule functions under node (tests/js/client_rules.mjs imports
client/js/rules.js and the route table directly, no browser). Node is required, not optional: without
it the tests that need it fail, saying so (.ci/run installs nodejs)."""
from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

DRIVER = Path(__file__).resolve().parent / "js" / "client_rules.mjs"


def node() -> str:
    found = shutil.which("node") or (Path("/usr/bin/node").exists() and "/usr/bin/node")
    if not found:
        pytest.fail("node is needed to run the app's rule modules (apt-get install nodejs; .ci/run installs it)")
    return found


def run_client_rules(cases: dict) -> dict:
    """{kind: [case, ...]} -> {kind: [the app's answer, ...]}, from client/js/rules.js (see the driver)."""
    done = subprocess.run([node(), str(DRIVER)], input=json.dumps(cases), capture_output=True, text=True, timeout=300, check=False)
    assert done.returncode == 0, f"node {DRIVER.name} failed:\n{done.stderr}"
    return json.loads(done.stdout)


def client_route_table() -> list[str]:
    """The path patterns of the app's route table (client/js/views/index.js), in its order."""
    return [entry["pattern"] for entry in run_client_rules({"route_table": True})["route_table"]]
