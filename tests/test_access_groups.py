"""Only server/domain/access.py names roles to decide something (the house rule "who may see or do
what: only access.py decides"). Everywhere else asks one of its named groups or predicates
(access.HOLDS_A_CASELOAD, access.is_person(user), ...), so a new role or a changed rule is one edit.

The scan reads every module of server/ but access.py and fails on a role name
* compared with a role (`user.role == "admin"`, `role in {"person", ...}`, `getattr(x, "role") != ...`),
* offered to `.role.in_(...)` / `.role.notin_(...)` in a query, or
* gathered into a group of its own: a set, tuple or list of role names, or a dict keyed by them."""
from __future__ import annotations

import ast
from pathlib import Path

from server.domain import access

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "server"
ROLE_NAMES = frozenset(access.ROLES)

# Where role names may stand, and why.
ALLOWED = {
    "server/domain/access.py": "the one place that decides",
    # The users table's list of allowed values (its check constraint); access.ROLES is this tuple.
    "server/models/organisation.py": "the column's value list",
}


def _role_names_in(node: ast.AST) -> list[str]:
    return [n.value for n in ast.walk(node) if isinstance(n, ast.Constant) and n.value in ROLE_NAMES]


def _is_role(node: ast.AST) -> bool:
    """`x.role`, a variable called `role`, or `getattr(x, "role", ...)`."""
    if isinstance(node, ast.Attribute):
        return node.attr == "role"
    if isinstance(node, ast.Name):
        return node.id == "role"
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "getattr":
        return len(node.args) >= 2 and isinstance(node.args[1], ast.Constant) and node.args[1].value == "role"
    return False


def _only_role_names(elements: list) -> bool:
    values = [e.value if isinstance(e, ast.Constant) else None for e in elements]
    return len(values) >= 2 and all(v in ROLE_NAMES for v in values)


def role_decisions(source: str) -> list[tuple[int, str]]:
    """(line, what) for each place in `source` where a role name is used to decide something."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Compare):
            operands = [node.left, *node.comparators]
            if any(_is_role(o) for o in operands):
                names = [n for o in operands if not _is_role(o) for n in _role_names_in(o)]
                if names:
                    found.append((node.lineno, f"a role compared with {names}"))
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr in {"in_", "notin_"}:
            if _is_role(node.func.value):
                names = [n for a in node.args for n in _role_names_in(a)]
                if names:
                    found.append((node.lineno, f"a query on the role with {names}"))
        elif isinstance(node, (ast.Set, ast.Tuple, ast.List)) and _only_role_names(node.elts):
            found.append((node.lineno, f"a group of roles {[e.value for e in node.elts]}"))
        elif isinstance(node, ast.Dict) and None not in node.keys and _only_role_names(node.keys):
            found.append((node.lineno, f"a dict keyed by roles {[k.value for k in node.keys]}"))
    return found


def test_no_module_but_access_names_roles_to_decide_something():
    offences = []
    for path in sorted(PACKAGE.rglob("*.py")):
        relative = path.relative_to(ROOT).as_posix()
        if relative in ALLOWED:
            continue
        for line, what in role_decisions(path.read_text(encoding="utf-8")):
            offences.append(f"{relative}:{line}: {what}")
    assert not offences, "Ask a named group or predicate of server/domain/access.py instead:\n" + "\n".join(offences)


def test_the_scan_finds_each_way_of_naming_a_role():
    """The scan would catch what the review found (so the test above is not passing by missing it)."""
    samples = {
        'if user.role == "senior_leader": pass': 1,
        'if actor.role != "person": pass': 1,
        'x = getattr(actor, "role", None) == "person"': 1,
        'if role in {"registered_manager", "commissioner"}: pass': 2,  # the comparison and the set
        'q = select(User).where(User.role.in_(("support_worker", "registered_manager")))': 2,
        'CASELOAD = ("support_worker", "registered_manager")': 1,
        'WHY = {"admin": "a", "person": "b"}': 1,
    }
    for source, count in samples.items():
        assert len(role_decisions(source)) == count, source
    # Words that happen to be role names but decide nothing about a role are left alone.
    for source in ('audit.record(actor, "create", "person", person.id)', 'if r.rated_by in ("person", "together"): pass',
                   'OWNER_KINDS = ("staff", "person", "other")', 'if action.owner_kind == "person": pass'):
        assert role_decisions(source) == [], source


def test_the_named_groups_are_made_of_real_roles():
    groups = [access.ADMINS, access.NEEDS_SERVICES, access.MAY_HAVE_SERVICES, access.HOLDS_A_CASELOAD,
              access.SEES_WHOLE_ORGANISATION, access.HEARS_OF_ESCALATIONS, access.FRONT_LINE, access.STAFF,
              access.CARERS, access.MANAGERS, access.PERSON, access.GOVERNORS, access.SUPERVISEES]
    for group in groups:
        assert group and group <= ROLE_NAMES
    assert set(access.ROLE_WORDS) == ROLE_NAMES
    assert set(access.SERVICES_VERB) == access.NEEDS_SERVICES
    assert set(access.WHY_NO_SERVICES) == ROLE_NAMES - access.MAY_HAVE_SERVICES
    assert access.is_person("person") and not access.is_person("support_worker") and not access.is_person(None)
    assert access.is_admin("admin") and not access.is_admin("senior_leader")
