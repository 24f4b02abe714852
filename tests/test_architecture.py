"""The shape of the server package: every module imports on its own, and no two modules import
each other, directly or round a longer loop (lazy imports inside functions count too, since they
are how a cycle hides). docs/ARCHITECTURE.md describes the layers these tests keep apart."""
from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "server"


def _modules() -> dict[str, tuple[Path, bool]]:
    out = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = list(path.relative_to(ROOT).with_suffix("").parts)
        is_package = parts[-1] == "__init__"
        if is_package:
            parts = parts[:-1]
        out[".".join(parts)] = (path, is_package)
    return out


def _absolute(module: str | None, level: int, importer: str, is_package: bool) -> str:
    if level == 0:
        return module or ""
    base = importer.split(".")
    if not is_package:
        base = base[:-1]
    base = base[: len(base) - (level - 1)]
    return ".".join(base + ([module] if module else []))


def import_graph() -> dict[str, dict[str, int]]:
    """module -> {module it imports: line}, for the modules of server/ only."""
    modules = _modules()
    graph: dict[str, dict[str, int]] = {}
    for name, (path, is_package) in modules.items():
        edges: dict[str, int] = {}
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            targets: list[str] = []
            if isinstance(node, ast.Import):
                targets = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                base = _absolute(node.module, node.level, name, is_package)
                targets = [f"{base}.{a.name}" if f"{base}.{a.name}" in modules else base for a in node.names]
            for target in targets:
                if target in modules and target != name:
                    edges.setdefault(target, node.lineno)
        graph[name] = edges
    return graph


def cycles(graph: dict[str, dict[str, int]]) -> list[list[str]]:
    """The strongly connected components of more than one module (Tarjan), each a cycle or several."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in graph[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return found


def test_the_graph_reader_finds_a_cycle_and_sees_lazy_imports(tmp_path):
    graph = {"a": {"b": 1}, "b": {"c": 3}, "c": {"a": 9}, "d": {"a": 2}}
    assert cycles(graph) == [["a", "b", "c"]]
    assert cycles({"a": {"b": 1}, "b": {}}) == []
    # A lazy import inside a function is an edge like any other.
    tree = ast.parse("def f():\n    from . import sync\n")
    assert any(isinstance(n, ast.ImportFrom) for n in ast.walk(tree))


def test_no_module_of_the_server_imports_itself_round_a_loop():
    graph = import_graph()
    assert "server.domain.sync" in graph and "server.schemas.outcome" in graph
    found = cycles(graph)
    described = [
        " / ".join(f"{a} -> {b} (line {graph[a][b]})" for a in component for b in graph[a] if b in component)
        for component in found
    ]
    assert found == [], "import cycles:\n" + "\n".join(described)


# Run in a fresh interpreter: for each module, forget every module of server/ and import that one
# alone (third-party packages stay loaded, which only saves time).
_IMPORT_EACH = """
import importlib, sys, traceback
failed = []
for name in sys.argv[1:]:
    for loaded in [m for m in sys.modules if m == "server" or m.startswith("server.")]:
        del sys.modules[loaded]
    try:
        importlib.import_module(name)
    except Exception:
        failed.append(name + ": " + traceback.format_exc().strip().splitlines()[-1])
print("\\n".join(failed))
sys.exit(1 if failed else 0)
"""


def test_every_module_of_the_server_imports_alone():
    names = sorted(_modules())
    assert len(names) > 60
    done = subprocess.run([sys.executable, "-c", _IMPORT_EACH, *names], cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stdout + done.stderr[-2000:]


def test_domain_errors_carry_no_http_status_and_each_kind_has_one_in_the_error_handler():
    from server.domain import errors as domain_errors
    from server.errors import domain_status

    graph = import_graph()
    domain_modules = [m for m in graph if m.startswith("server.domain")]
    for name in domain_modules:
        source = _modules()[name][0].read_text(encoding="utf-8")
        for node in ast.walk(ast.parse(source)):
            if isinstance(node, ast.ClassDef):
                assigned = {t.id for n in node.body if isinstance(n, ast.Assign) for t in n.targets if isinstance(t, ast.Name)}
                assert "status" not in assigned, f"{name}.{node.name} sets an HTTP status"
    expected = {"Invalid": 422, "NotFound": 404, "Forbidden": 403, "Conflict": 409, "Clash": 409,
                "AlreadyRecorded": 409, "TooLarge": 413, "Unsupported": 415, "DomainError": 400}
    for kind, status in expected.items():
        assert domain_status(getattr(domain_errors, kind)("x")) == status, kind
    assert domain_status(domain_errors.Gone("x", code="link_used")) == 410


def test_every_capture_module_registers_its_mutations_in_the_one_registry():
    from server.domain import mutations, sync

    assert sync.MUTATIONS is mutations.MUTATIONS
    assert set(mutations.MUTATIONS) == {
        "outcome.create", "outcome.update", "action.create", "action.update", "review.create", "evidence.create",
        "review.explain", "feedback.create", "check.create", "event.create", "change.create",
    }
    for name, (_schema, fn) in mutations.MUTATIONS.items():
        home = {"outcome": "outcomes", "action": "outcomes", "review": "outcomes", "evidence": "outcomes",
                "feedback": "feedback", "check": "checks", "event": "events", "change": "changes"}[name.split(".")[0]]
        target = getattr(fn, "__wrapped__", fn)
        assert fn.__module__ == f"server.domain.{home}" or target.__module__ == "server.domain.mutations", name


def _savepoints(tree: ast.AST) -> set[str]:
    """Names bound to a savepoint (`x = db.session.begin_nested()`, `with ... as x`)."""
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Assign) and isinstance(node.value, ast.Call) and ast.unparse(node.value.func).endswith("begin_nested"):
            names.update(t.id for t in node.targets if isinstance(t, ast.Name))
        if isinstance(node, ast.withitem) and isinstance(node.context_expr, ast.Call) \
                and ast.unparse(node.context_expr.func).endswith("begin_nested") and isinstance(node.optional_vars, ast.Name):
            names.add(node.optional_vars.id)
    return names


def test_domain_functions_flush_and_leave_the_commit_to_the_unit_of_work():
    """No module under server/domain commits: routes commit through server/unit_of_work.run, and
    what commits as it goes (the reminders job, a read request's view entries) through
    unit_of_work.write, which the job runner (server/jobs.py) hands to the domain. A savepoint's
    commit (sync.py's per-mutation savepoints) ends a savepoint, not the transaction, and is fine."""
    committing = []
    for name, (path, _is_package) in _modules().items():
        if not name.startswith("server.domain"):
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        savepoints = _savepoints(tree)
        for node in ast.walk(tree):
            if isinstance(node, ast.Attribute) and node.attr == "commit" and ast.unparse(node.value) not in savepoints:
                committing.append(f"{name}:{node.lineno} {ast.unparse(node)}")
            if isinstance(node, ast.ImportFrom) and node.module and node.module.endswith("unit_of_work"):
                committing.append(f"{name}:{node.lineno} imports the unit of work")
            if isinstance(node, ast.alias) and node.name == "unit_of_work":
                committing.append(f"{name}: imports the unit of work")
    assert committing == []


# Input schemas check a date or a push subscription with the domain's own rule (pure functions).
SCHEMAS_MAY_IMPORT_FROM_DOMAIN = {"server.domain.dates", "server.domain.push"}


def test_schemas_format_what_they_are_given_and_never_query():
    """server/schemas imports no database access (the session, SQLAlchemy) and, from the domain,
    only the rules input schemas validate with; what an output schema shows beyond a row's columns
    is loaded before the dump (tests/test_statement_counts.py dumps the replies and counts)."""
    found = []
    graph = import_graph()
    for name, (path, _is_package) in _modules().items():
        if not name.startswith("server.schemas"):
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, (ast.Import, ast.ImportFrom)):
                names = [a.name for a in node.names] if isinstance(node, ast.Import) else [node.module or ""]
                if any(n.split(".")[0] in ("sqlalchemy", "flask_sqlalchemy") for n in names):
                    found.append(f"{name}:{node.lineno} imports {names}")
            if isinstance(node, ast.Attribute) and ast.unparse(node) in ("db.session", "db.select"):
                found.append(f"{name}:{node.lineno} {ast.unparse(node)}")
        for target, line in graph[name].items():
            if target == "server.extensions" or target == "server.database" \
                    or (target.startswith("server.domain") and target not in SCHEMAS_MAY_IMPORT_FROM_DOMAIN):
                found.append(f"{name}:{line} imports {target}")
    assert found == []
