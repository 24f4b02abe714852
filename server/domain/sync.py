"""Offline sync (SYNC.md): push applies a device's mutations, pull returns what changed in a user's scope.

Push
----
Each mutation name maps to the schema that loads its args and the same domain function the REST
endpoint calls, so a review made offline and one made through a form meet the same rules and leave
the same audit entry. The device row is locked for the whole push (SELECT ... FOR UPDATE on
PostgreSQL; on SQLite every write request already holds the write lock from BEGIN IMMEDIATE), so two
copies of a batch pushed at the same moment apply each mutation once: the second waits, then finds
`last_mutation_id` moved on and answers from the stored results. Mutations run in groups under one
SAVEPOINT, flushed once per group; when one of them is refused the group is rolled back and that
mutation runs alone in a SAVEPOINT of its own (_apply_in_groups), so a rejected one leaves nothing
half-written and every result is the one it would get alone. The whole batch commits before the
reply is built.
If two transactions still collide on a unique key (two devices creating the same record at once) or
deadlock, the mutation or the whole push is run once more and then sees what the other committed.
Anything else that goes wrong in one mutation (a fault in the code, a constraint it breaks every
time) rolls back that mutation only and is logged with a short reference; its result is `rejected`
with code `server_error` and a message quoting the reference, and the rest of the batch applies, so
one record never wedges a phone's queue.

Pull
----
Every synced row carries `seq`, stamped from one counter row inside its writing transaction
(changeseq.py), and every row that leaves someone's scope leaves a Tombstone stamped the same way.
A pull first reads the committed counter value V. The counter row lock means every row with
seq <= V is already committed, so the page (one UNION ALL over every synced table and the
tombstones, cursor < seq <= V, in seq order) cannot miss a row that commits while the pull runs,
even though PostgreSQL's READ COMMITTED gives each statement its own snapshot. Rows committed
later have seq > V and come in the next pull.

Scope changes: `remove_from_caseload` writes tombstones for that user (the phone deletes the person
and everything of theirs); `add_to_caseload` re-stamps the person and all their records with fresh
seq values, so they rise above every cursor and reach the user's next pull. Everyone else who can see
the person receives the same rows again too: puts are idempotent, and this keeps one global cursor.

Extending
---------
A capture module adds a mutation with `mutations.register("check.create", WeeklyCheckCreateSchema,
create_check)` (server/domain/mutations.py, the registry); this module imports the capture modules
so that every mutation is registered before a push is applied.
`register_entity("check", WeeklyCheck)` adds a table to pull. Who receives its rows is the access
policy's answer for the record kind of the same name (access.POLICY, readable_rows): an entity
without a rule there cannot be registered.
"""
from __future__ import annotations

import json
import logging
import math
import time
import uuid
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import date, datetime
from types import SimpleNamespace
from typing import Any, Callable

from flask import current_app, g, has_request_context, request
from marshmallow import Schema, ValidationError
from sqlalchemy import (
    BigInteger,
    Boolean,
    Integer,
    String,
    and_,
    bindparam,
    cast,
    func,
    insert,
    literal,
    literal_column,
    or_,
    select,
    union_all,
    update,
)
from sqlalchemy import inspect as sa_inspect
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm import defer

from ..database import insert_ignoring_conflict
from ..extensions import db
from ..models import (
    Action,
    AuthSession,
    CaseloadAssignment,
    Device,
    EvidenceNote,
    FeedbackConversation,
    MutationResult,
    Outcome,
    Person,
    Review,
    ServiceEvent,
    Tombstone,
    User,
    WeeklyCheck,
    utcnow,
)
from ..schemas import row_dump
from ..schemas.outcome import ActionOut, EvidenceOut, OutcomeOut, ReviewOut
from . import access, audit, batch, checks, events, feedback, outcome_facts, outcomes
from . import changes as changes_module
from .changeseq import current_seq, next_seq, tombstone
from .errors import Conflict, DomainError, Duplicate, Forbidden, NotFound, TooLarge
from .mutations import MUTATIONS

# Importing a capture module registers its mutations (server/domain/mutations.py): every one is
# imported here, so MUTATIONS is complete before a push is applied.
CAPTURE_MODULES = (outcomes, feedback, checks, events, changes_module)

log = logging.getLogger(__name__)


class TooManyMutations(TooLarge):
    code = "too_many_mutations"


class DeviceTaken(Forbidden):
    code = "device_taken"




_instances: dict[type[Schema], Schema] = {}


def _schema(schema: Schema | type[Schema]) -> Schema:
    if not isinstance(schema, type):
        return schema
    if schema not in _instances:
        _instances[schema] = schema()
    return _instances[schema]


# ---- push ----

def push(user: User, device_id: str, mutations: list[dict]) -> dict:
    """Apply a batch from one device; return the reply (see schemas/sync.py). The caller commits the
    batch as one unit of work (server/unit_of_work.py): two transactions racing on the same new
    device, or creating the same record from two devices, can meet a unique-key violation or
    (PostgreSQL) a deadlock, and the whole push is then rolled back and run once more."""
    limit = current_app.config["SYNC_MAX_MUTATIONS"]
    if len(mutations) > limit:
        message = f"A push carries at most {limit} mutations; this one has {len(mutations)}. Send the rest in another push."
        raise TooManyMutations(message, fields={"mutations": [f"At most {limit} mutations per push."]}, limit=limit)
    return _push(access.itself(user), device_id, mutations)  # read per mutation: not through the proxy


def _push(user: User, device_id: str, mutations: list[dict]) -> dict:
    with batch.running(len(mutations)) as push:
        return _push_batch(push, user, device_id, mutations)


def _push_batch(push: batch.Batch, user: User, device_id: str, mutations: list[dict]) -> dict:
    """Apply the batch set-wise where that changes nothing about the result: the records it names are
    loaded up front, mutations run in groups under one savepoint (each alone in its own savepoint
    when one of them is refused), and audit entries, review dates and results are written in one
    statement each at the end (in this transaction, before the commit)."""
    device = lock_device(user, device_id)
    _bind_to_session(device)
    last = device.last_mutation_id
    seen = [m["id"] for m in mutations if m["id"] <= last]
    stored = {}
    if seen:
        stored = {
            r.mutation_id: r
            for r in db.session.execute(
                select(MutationResult).where(MutationResult.device_id == device.id, MutationResult.mutation_id.in_(seen))
            ).scalars()
        }
    # Which mutations are new (the next ids in order) and which the device sent before; the new ones
    # are then applied in order (in groups, _apply_in_groups), and the replies keep the batch's order.
    plan, todo, gap, next_id = [], [], None, last
    for mutation in mutations:
        n = mutation["id"]
        if n <= next_id:
            plan.append(_replayed(mutation, stored.get(n)))
            continue
        if n > next_id + 1:
            gap = {"expected": next_id + 1, "received": n}
            break
        plan.append(None)
        todo.append(mutation)
        next_id = n
    _preload(push, todo)
    applied = _apply_in_groups(push, user, todo)
    stored_results = [
        {"device_id": device.id, "mutation_id": m["id"], "name": m["name"], "status": r["status"], "result": r, "created_at": utcnow()}
        for m, r in zip(todo, applied)
    ]
    fresh = iter(applied)
    results = [replayed if replayed is not None else next(fresh) for replayed in plan]
    outcome_facts.write_batch(db.session, push)
    audit.record_many(push.audit_rows)
    if stored_results:
        db.session.execute(insert(MutationResult), stored_results)
    device.last_mutation_id = next_id
    device.last_seen_at = utcnow()
    db.session.flush()
    return {
        "device_id": device.id,
        "last_mutation_id": next_id,
        "resume_from": next_id + 1 if gap else None,
        "gap": gap,
        "results": results,
    }


# Records a mutation's args name, by mutation name: (arg, model) pairs. Creates also name their own
# id, looked up once for check_retry (CREATES).
_REFERENCES: dict[str, tuple[tuple[str, type], ...]] = {
    "outcome.create": (("person_id", Person),),
    "outcome.update": (("id", Outcome),),
    "action.create": (("outcome_id", Outcome),),
    "action.update": (("id", Action),),
    "review.create": (("outcome_id", Outcome),),
    "review.explain": (("id", Review),),
    "evidence.create": (("review_id", Review), ("person_id", Person)),
}
_CREATES: dict[str, type] = {"outcome.create": Outcome, "action.create": Action, "review.create": Review, "evidence.create": EvidenceNote}


def _preload(push: batch.Batch, mutations: list[dict]) -> None:
    """Load every outcome, action, review and person the batch names (and the people they belong
    to) in a few queries, and keep them referenced for the push so that each mutation's
    session.get finds them in the identity map; note which client-made ids of creates do not exist.
    Only a cache: a record missed here is loaded by the domain function as before."""
    wanted: dict[type, set[str]] = {}
    creates: dict[type, set[str]] = {}
    for mutation in mutations:
        args = mutation.get("args")
        if not isinstance(args, dict):
            continue
        for arg, model in _REFERENCES.get(mutation.get("name"), ()):
            if _canonical_id(args.get(arg)):
                wanted.setdefault(model, set()).add(args[arg])
        model = _CREATES.get(mutation.get("name"))
        if model is not None and _canonical_id(args.get("id")):
            creates.setdefault(model, set()).add(args["id"])
    people = set(wanted.pop(Person, set()))
    for model in (Action, Review, Outcome):  # an action or review names its outcome and person too
        ids = wanted.get(model)
        if not ids:
            continue
        rows = db.session.execute(select(model).where(model.id.in_(ids))).scalars().all()
        push.keep.extend(rows)
        for row in rows:
            people.add(row.person_id)
            if model is not Outcome and row.outcome_id:
                wanted.setdefault(Outcome, set()).add(row.outcome_id)
    if people:
        push.keep.extend(db.session.execute(select(Person).where(Person.id.in_(people))).scalars().all())
    for model, ids in creates.items():
        taken = set(db.session.execute(select(model.id).where(model.id.in_(ids))).scalars())
        for record_id in ids - taken:
            push.absent[record_id] = model


def _canonical_id(value) -> bool:
    """A UUID in its canonical lower-case form: the only ids the preload looks up (anything else is
    left to the mutation's schema to refuse)."""
    if not isinstance(value, str) or len(value) != 36:
        return False
    try:
        return str(uuid.UUID(value)) == value
    except ValueError:
        return False


def lock_device(user: User, device_id: str) -> Device:
    """The device row, locked until commit; made and bound to `user` on its first push."""
    device = _select_device(device_id)
    if device is None:
        now = utcnow()
        # ON CONFLICT DO NOTHING: a concurrent first push of the same device waits for the other
        # transaction and then finds its row, instead of failing on the primary key.
        db.session.execute(
            insert_ignoring_conflict(Device).values(id=device_id, user_id=user.id, last_mutation_id=0, created_at=now, last_seen_at=now)
        )
        device = _select_device(device_id)
    if device.user_id != user.id:
        raise DeviceTaken(
            "This device is registered to another account. Sign out, then sign in again to register it for you.",
            fields={"device_id": ["Registered to another account."]},
        )
    return device


def register_device(user: User, device_id: str) -> Device:
    """Bind an installed app to `user` (on its first registration) and to the signed-in session, so
    audit entries name it. A device bound to another user is refused (DeviceTaken). The caller commits."""
    device = lock_device(user, device_id)
    _bind_to_session(device)
    return device


def _bind_to_session(device: Device) -> None:
    """The session's device is the one it last registered or pushed from (and only ever a device bound
    to the session's user): audit entries take it from here, not from anything a request claims."""
    if not has_request_context():
        return
    if device.user_agent is None and request.user_agent.string:
        device.user_agent = request.user_agent.string[:300]
    auth_id = g.get("auth_session_id")
    if auth_id:
        db.session.execute(
            update(AuthSession)
            .where(AuthSession.id == auth_id, or_(AuthSession.device_id.is_(None), AuthSession.device_id != device.id))
            .values(device_id=device.id)
            .execution_options(synchronize_session=False)
        )
    g.device_id = device.id


def _select_device(device_id: str) -> Device | None:
    q = select(Device).where(Device.id == device_id).with_for_update().execution_options(populate_existing=True)
    return db.session.execute(q).scalar_one_or_none()


def _replayed(mutation: dict, stored: MutationResult | None) -> dict:
    """A mutation id this device already sent: answer with what happened the first time."""
    base = {"id": mutation["id"], "name": mutation["name"], "record_id": _record_id(mutation["args"])}
    if stored is not None and (stored.name != mutation["name"] or _norm(stored.result.get("record_id")) != _norm(base["record_id"])):
        # Not a replay: the phone reused an id for a different mutation (its numbering was reset).
        # Skipping it silently would lose the write, so it needs attention.
        return _rejected(
            base,
            "mutation_id_reused",
            f"This device already sent a different mutation with id {mutation['id']}. Send it again as a new mutation.",
            {"id": [f"Already used for {stored.name} of {stored.result.get('record_id')}."]},
        )
    return {**base, "status": "duplicate", "original": stored.result if stored is not None else None}


ALL_ALONE = object()  # _apply_group: the group's flush failed, so run each of its mutations alone


def _apply_in_groups(push: batch.Batch, user: User, mutations: list[dict]) -> list[dict]:
    """Apply `mutations` in order and return their results, exactly as applying each alone with
    apply_mutation would, with fewer statements: they run as one group under a single savepoint
    (_apply_group). When one of them does not simply apply (a rule refuses it, it is a duplicate or a
    conflict, the code fails), the group is rolled back; the mutations before it run again as a
    group, it runs alone in its own savepoint (apply_mutation, which decides its result), and the
    group goes on after it. Each round either applies mutations or shortens the group. When the
    group's one flush fails (a key another transaction took meanwhile), each of its mutations runs
    alone, so the one that clashes is answered as it would have been on its own."""
    results: list[dict] = []
    start, end = 0, len(mutations)
    while start < len(mutations):
        done, stopped_at = _apply_group(push, user, mutations[start:end])
        if stopped_at is None:
            results.extend(done)
            start, end = end, len(mutations)
        elif stopped_at is ALL_ALONE:
            results.extend(apply_mutation(user, m) for m in mutations[start:end])
            start, end = end, len(mutations)
        elif stopped_at == 0:
            results.append(apply_mutation(user, mutations[start]))
            start, end = start + 1, len(mutations)
        else:
            end = start + stopped_at
    return results


def _apply_group(push: batch.Batch, user: User, mutations: list[dict]) -> tuple[list[dict], object]:
    """Run `mutations` one after another under one savepoint, flushing once at the end
    (batch.flush). Returns (their results, None) when every one applied or was refused before
    writing anything (args that fail their schema); else rolls the group back and returns ([], the
    index of the first mutation that did not apply), or ([], ALL_ALONE) when the flush failed."""
    savepoint = db.session.begin_nested()
    results = []
    push.grouped = True
    try:
        for index, mutation in enumerate(mutations):
            base = {"id": mutation["id"], "name": mutation["name"], "record_id": _record_id(mutation["args"])}
            try:
                loaded = _loaded(mutation, base)
                if isinstance(loaded, dict):  # refused before anything was written
                    results.append(loaded)
                    continue
                fn, data = loaded
                record = fn(user, data)
            except Exception as exc:  # noqa: BLE001 - apply_mutation decides what it means
                if _transient(exc):
                    raise
                savepoint.rollback()
                push.rolled_back(base["record_id"])
                return [], index
            push.absent.pop(data["id"], None)
            results.append(_applied(base, record))
        try:
            db.session.flush()  # the group's rows, one INSERT per table
        except Exception as exc:  # noqa: BLE001 - a key clash (or a fault) no one mutation can be named for
            if _transient(exc):
                raise
            savepoint.rollback()
            push.rolled_back()
            return [], ALL_ALONE
        savepoint.commit()
    except BaseException:
        if savepoint.is_active:
            savepoint.rollback()
        push.rolled_back()
        raise
    finally:
        push.grouped = False
    push.mutation_done()
    return results, None


def apply_mutation(user: User, mutation: dict) -> dict:
    """Apply one mutation in a savepoint and return its result. Never raises for anything that is
    about this one mutation: bad input, a rule, a unique key it keeps hitting, or a fault in the code
    all become a `rejected` result, so one record can never wedge the phone's queue (SYNC.md). Only a
    transient database failure (deadlock, serialisation, a locked SQLite file, a lost connection)
    propagates, and `push` runs the whole batch again."""
    name = mutation["name"]
    base = {"id": mutation["id"], "name": name, "record_id": _record_id(mutation["args"])}
    try:
        return _apply(user, mutation, base)
    except Exception as exc:  # noqa: BLE001 - a fault in one mutation must not fail the batch
        if _transient(exc):
            raise
        return _server_error(base, exc)


def _loaded(mutation: dict, base: dict):
    """(the mutation's domain function, its args loaded by its schema), or the rejected result when
    the name is unknown or the args do not load. Sets base["record_id"] to the loaded id."""
    name, args = mutation["name"], mutation["args"]
    entry = MUTATIONS.get(name)
    if entry is None:
        return _rejected(base, "unknown_mutation", f"Unknown mutation “{name}”.", {"name": ["Must be one of: " + ", ".join(sorted(MUTATIONS)) + "."]})
    schema, fn = entry
    try:
        data = _schema(schema).load(args)
        if not data.get("id"):
            raise ValidationError({"id": ["Missing data for required field: every mutation names its record by id."]})
    except ValidationError as exc:
        return _validation_rejected(base, exc)
    base["record_id"] = data["id"]
    return fn, data


def _apply(user: User, mutation: dict, base: dict) -> dict:
    loaded = _loaded(mutation, base)
    if isinstance(loaded, dict):
        return loaded
    fn, data = loaded
    entity = mutation["name"].split(".", 1)[0]

    push = batch.current()

    def rolled_back(savepoint) -> None:
        savepoint.rollback()
        if push is not None:
            push.rolled_back(data["id"])

    for attempt in (1, 2):
        savepoint = db.session.begin_nested()
        try:
            record = fn(user, data)
            savepoint.commit()
        except Duplicate as dup:
            rolled_back(savepoint)
            return {**base, "status": "duplicate", "entity": entity, "version": getattr(dup.record, "version", None)}
        except Conflict as exc:
            # With merge_partial the fields nobody else changed were applied: keep them.
            savepoint.commit()
            if push is not None:
                push.mutation_done(data["id"])
            current = _jsonable(exc.extra.get("current") or {})
            return {
                **base,
                "status": "conflict",
                "entity": entity,
                "version": current.get("version"),
                "error": {"code": exc.code, "message": exc.message, "fields": _jsonable(exc.fields)},
                "current": current,
                "applied": list(exc.extra.get("applied") or []),
            }
        except DomainError as exc:
            rolled_back(savepoint)
            extra = {k: v for k, v in exc.extra.items() if k not in {"code", "message", "fields"}}
            return _rejected(base, exc.code, exc.message, exc.fields, **extra)
        except ValidationError as exc:
            rolled_back(savepoint)
            return _validation_rejected(base, exc)
        except IntegrityError:
            rolled_back(savepoint)
            if attempt == 1:
                # Another transaction committed the same key meanwhile (PostgreSQL); run again so
                # check_retry sees it and answers duplicate or rejected. A second violation is not a
                # race but this record: it falls through to a rejected result below.
                continue
            raise
        except BaseException:
            rolled_back(savepoint)
            raise
        if push is not None:
            push.mutation_done(data["id"])
        return _applied(base, record)
    raise AssertionError("unreachable")


# SQLSTATE classes of failures that are about timing, not about the mutation: running the batch
# again is the cure. 40P01 deadlock, 40001 serialization failure, 55P03 lock not available,
# 08xxx connection exceptions, 57P01 admin shutdown.
_TRANSIENT_STATES = {"40P01", "40001", "55P03", "57P01"}


def _applied(base: dict, record) -> dict:
    return {**base, "status": "applied", "entity": base["name"].split(".", 1)[0], "version": getattr(record, "version", None)}


def _transient(exc: BaseException) -> bool:
    if not isinstance(exc, OperationalError):
        return False
    if getattr(exc, "connection_invalidated", False):
        return True
    orig = getattr(exc, "orig", None)
    state = getattr(orig, "sqlstate", None)
    if state is not None:
        return state in _TRANSIENT_STATES or state.startswith("08")
    return "locked" in str(orig).lower() or "busy" in str(orig).lower()  # SQLite: database is locked / busy


def _server_error(base: dict, exc: BaseException) -> dict:
    """An unexpected fault while applying one mutation: log it with a short reference the worker can
    quote, and reject this mutation only. The phone keeps its copy as "needs attention"."""
    reference = uuid.uuid4().hex[:8].upper()
    log.error(
        "sync push: mutation %s (%s, record %s) failed unexpectedly, reference %s",
        base["id"], base["name"], base["record_id"], reference, exc_info=exc,
    )
    return _rejected(
        base,
        "server_error",
        f"This record could not be saved (reference {reference}). Keep it on this phone and tell your manager, quoting the reference.",
        {},
        reference=reference,
    )


def _rejected(base: dict, code: str, message: str, fields: dict | None, **extra) -> dict:
    error = {"code": code, "message": message, "fields": _jsonable(fields or {}), **_jsonable(extra)}
    return {**base, "status": "rejected", "error": error}


def _validation_rejected(base: dict, exc: ValidationError) -> dict:
    messages = exc.messages if isinstance(exc.messages, dict) else {"_schema": exc.messages}
    names = [str(n) for n in messages if n != "_schema"]
    message = ("Check " + ", ".join(names) + ".") if names else "The mutation could not be understood."
    return _rejected(base, "validation", message, messages)


def _record_id(args) -> str | None:
    value = args.get("id") if isinstance(args, dict) else None
    return value if isinstance(value, str) else None


def _norm(value) -> str | None:
    if value is None:
        return None
    try:
        return str(uuid.UUID(str(value)))
    except ValueError:
        return str(value)


def _jsonable(value):
    """Results are stored as JSON and replayed verbatim: make sure they survive the round trip."""
    return json.loads(json.dumps(value, default=_json_default))


def _json_default(value):
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    return str(value)


# ---- pull ----

@dataclass(frozen=True)
class Entity:
    name: str
    model: type
    dump: Callable[[Any], dict]
    scope: Callable[[User, Any], Any]  # (user, select of the people whose `kind` records user reads) -> where clause
    key: Callable[[Any], str]
    kind: str  # the record kind in access.POLICY
    # Reads a page's rows by id without the ORM (the rows `dump` takes); None: loaded as ORM objects.
    read: Callable[[list], list] | None = None


ENTITIES: dict[str, Entity] = {}


# Columns a phone is never sent: the change counter (the change's own seq is), the retry digest and
# the server's merge bookkeeping.
NOT_SENT = frozenset({"seq", "origin_hash", "field_versions"})


def _plain(value):
    return value.isoformat() if isinstance(value, (date, datetime)) else value


def dump_row(row) -> dict:
    """A row read by `read_columns` as a plain dict of its columns, for tables without an Out schema."""
    return {key: _plain(value) for key, value in row._mapping.items()}


def sent_columns(model: type) -> list:
    """The columns of `model`'s table a phone is sent."""
    return [column for column in model.__table__.c if column.key not in NOT_SENT]


def read_columns(model: type) -> Callable[[list], list]:
    """Reads rows of `model` by id as Core rows of the columns a phone is sent: a first sync reads
    hundreds of thousands of rows, and building ORM objects for them cost more than the query."""
    columns, id_column = sent_columns(model), model.__table__.c.id

    def read(keys: list) -> list:
        return db.session.execute(select(*columns).where(id_column.in_(keys))).all()

    return read


def register_entity(name: str, model: type, dump: Callable[[Any], dict] | None = None, scope=None, key=None, kind=None,
                    read: Callable[[list], list] | None = None) -> None:
    """Add a synced table to pull. Its rows go to whoever access.py lets read `kind` (default: the
    entity's name) of the row's person: by default `access.readable_rows`, which also applies the
    policy's row limits. A custom `scope(user, readable)` gets the select of those people. Without
    `dump`, the table's columns are sent, read without the ORM (`read_columns`, `dump_row`); `read`
    reads the rows `dump` takes by id (default: ORM objects)."""
    if name in ENTITIES:
        raise ValueError(f"entity {name!r} is already registered")
    if dump is None:
        dump, read = dump_row, read or read_columns(model)
    kind = kind or name
    access.rule(kind)  # raises if the access policy does not know the kind
    ENTITIES[name] = Entity(
        name=name,
        model=model,
        dump=dump,
        scope=scope or (lambda user, readable: access.readable_rows(user, kind, model)),
        key=key or (lambda row: str(row.id)),
        kind=kind,
        read=read,
    )


def keyworkers_of(person_ids) -> dict[str, list[dict]]:
    """person id -> who key-works them (ids and names only), for many people in one statement."""
    found: dict[str, list[dict]] = {pid: [] for pid in person_ids}
    if not found:
        return found
    rows = db.session.execute(
        select(CaseloadAssignment.person_id, User.id, User.name)
        .join(User, User.id == CaseloadAssignment.user_id)
        .where(CaseloadAssignment.person_id.in_(list(found)), CaseloadAssignment.keyworker.is_(True))
        .order_by(User.name, User.id)
    ).all()
    for person_id, user_id, name in rows:
        found[person_id].append({"id": user_id, "name": name})
    return found


# Inside a pull page, the keyworkers of every person on it, read in one statement (see pull).
_page_keyworkers: ContextVar[dict | None] = ContextVar("page_keyworkers", default=None)


def _keyworkers(person_id: str) -> list[dict]:
    """Who key-works the person (names only), so a manager's phone can filter people by keyworker
    with no signal. A caseload change re-stamps the person (`restamp_person`) so phones hear of it.
    Read from the page's keyworkers (`keyworkers_of` for all its people at once), never per person."""
    known = _page_keyworkers.get()
    if known is None or person_id not in known:
        raise RuntimeError("a person is dumped for a pull outside its page: read keyworkers_of(every person on it) first")
    return known[person_id]


def _dump_person(person: Person) -> dict:
    return {
        "id": person.id,
        "name": person.name,
        "preferred_name": person.preferred_name,
        "service_id": person.service_id,
        "weekly_checks": person.weekly_checks,
        "joined_on": person.joined_on.isoformat() if person.joined_on else None,
        "keyworkers": _keyworkers(person.id),
        "version": person.version,
    }


_dump_evidence_out = row_dump.dumper(EvidenceOut)
_read_evidence = read_columns(EvidenceNote)


def _dump_evidence(note) -> dict:
    return {**_dump_evidence_out(note), "outcome_id": note.outcome_id}


_read_review_rows = read_columns(Review)
_evidence_columns = sent_columns(EvidenceNote)


def _read_reviews(keys: list) -> list:
    """Reviews by id (a page's), each with its evidence notes (`evidence`, in the order
    Review.evidence keeps), as ReviewOut dumps them: two queries, no ORM objects."""
    reviews = _read_review_rows(keys)
    notes: dict[str, list] = {}
    notes_table = EvidenceNote.__table__
    for note in db.session.execute(
        select(*_evidence_columns).where(notes_table.c.review_id.in_([review.id for review in reviews]))
        .order_by(notes_table.c.created_at, notes_table.c.id)
    ):
        notes.setdefault(note.review_id, []).append(note)
    return [SimpleNamespace(**review._mapping, evidence=notes.get(review.id, [])) for review in reviews]


register_entity("person", Person, _dump_person)
# The signed-in user's own caseload entries, keyed by person id (one entry per person per user).
register_entity(
    "caseload",
    CaseloadAssignment,
    lambda row: {"person_id": row.person_id, "keyworker": row.keyworker},
    scope=lambda user, readable: and_(CaseloadAssignment.user_id == user.id, CaseloadAssignment.person_id.in_(readable)),
    key=lambda row: row.person_id,
)
register_entity("outcome", Outcome, row_dump.dumper(OutcomeOut))
register_entity("action", Action, row_dump.dumper(ActionOut))
register_entity("review", Review, row_dump.dumper(ReviewOut), read=_read_reviews)
register_entity("evidence", EvidenceNote, _dump_evidence, read=_read_evidence)
register_entity("check", WeeklyCheck)
register_entity("feedback", FeedbackConversation)
register_entity("event", ServiceEvent)

TOMBSTONE = "-tombstone"  # never an entity name


def pulled_entities(user: User) -> list[Entity]:
    """The entities whose rows `user` may receive by name (access.POLICY)."""
    return [entity for entity in ENTITIES.values() if access.named(user, entity.kind)]


def pull(user: User, cursor: int = 0, limit: int | None = None) -> dict:
    """What changed in `user`'s scope after `cursor`, oldest first, one page (see schemas/sync.py).
    Each entity's rows are those access.py lets the user read; staff pulls are audited, one view
    entry per person whose records the page carries."""
    entities = pulled_entities(user)
    if not entities:
        raise Forbidden("Your role sees aggregate figures only, not people's records.")
    page = current_app.config["SYNC_PULL_PAGE"]
    limit = min(limit or page, page)
    upto = current_seq(db.session)  # every row with seq <= upto is committed (see the module docstring)
    if cursor > upto:
        return {"cursor": 0, "more": True, "reset": True, "changes": []}
    if cursor == upto:  # nothing was written anywhere since this cursor: a polling phone costs one query
        return {"cursor": upto, "more": False, "reset": False, "changes": []}

    # One query finds the page: (seq, entity, primary key) from every table, merged in seq order.
    # Then only the rows on the page are loaded, one query per entity that appears. A pull that
    # finds nothing costs two queries after the counter (the scope's size, then the page; along the
    # seq index, one page query for each empty window passed over, EMPTY_WINDOWS at most).
    # Keyset paging per table: each branch takes only its own first limit + 1 rows after the cursor
    # (seq order, on the seq index), so the merge never sorts more than (tables x page) rows and a
    # page costs the same at the end of a long first sync as at its start. The smallest limit + 1
    # seqs of the union are among the branches' own smallest, so the page is the same as before.
    #
    # Which index a branch walks depends on the size of the user's scope against the whole database.
    # A worker's 30 people are best read from the caseload (their rows by person_id, then the few
    # sorted); a manager's 5,000 of 50,000 are best read along the seq index, keeping the rows in
    # scope, which stops after about a page / (their share of the organisation) rows. The first
    # costs (their rows per table) per page, the second page x (organisation / scope); ordering by
    # `seq + 0` (not index-ordered) steers the planner to the first on both databases.
    #
    # SQLite's planner, given statistics, still prefers the person index for a large scope (it cannot
    # see that LIMIT stops the seq walk early: a manager's page at 50,000 people read all 180,000 of
    # their reviews and sorted them, about 1 s a page). There the scope test is marked likely to
    # hold (`likelihood(…, 0.9)`, a no-op at run time), which makes the seq walk the cheaper plan.
    #
    # Along the seq index, a page looks only at a window of seqs after the cursor, sized so that it
    # should hold about WINDOW_PAGES pages of the user's rows (one counter stamps every table of every
    # organisation, so a window of W seqs holds at most W rows in all). Without it, each table's
    # walk ran on until it had a page of its own: nine walks of page x (organisation / scope) rows
    # for the one page kept. A window that holds less than a page gives a shorter page, whose cursor
    # is the window's end, with `more` set; the phone asks again from there.
    in_scope, everyone = _scope_size(user)
    from_caseload = in_scope * in_scope <= SMALL_SCOPE_FACTOR * max(everyone, 1)
    window = None
    if not from_caseload:
        rows_per_own_row = max(everyone, 1) / max(in_scope, 1)
        window = max(1, math.ceil((limit + 1) * WINDOW_PAGES * rows_per_own_row))
    walk_seq_hint = not from_caseload and db.session.get_bind().dialect.name == "sqlite"

    def scoped(clause):
        return func.likelihood(clause, literal_column("0.9"), type_=Boolean) if walk_seq_hint else clause

    def first(branch, seq_column):
        order = seq_column + 0 if from_caseload else seq_column
        return select(branch.order_by(order).limit(limit + 1).subquery())

    # Bound parameters, so a page that looks at further windows reuses the compiled statement.
    after, until = bindparam("after", type_=BigInteger), bindparam("until", type_=BigInteger)
    branches = []
    for entity in entities:
        model = entity.model
        branches.append(first(
            select(model.seq.label("seq"), literal(entity.name, String).label("entity"), cast(_pk(model), String).label("pk"))
            .where(model.seq > after, model.seq <= until, scoped(entity.scope(user, access.phone_people(user, entity.kind)))),
            model.seq,
        ))
    # A record gone for everyone reaches those who could read its kind of the person.
    gone_for_all = and_(
        Tombstone.user_id.is_(None),
        Tombstone.entity.in_([entity.name for entity in entities]),
        Tombstone.person_id.in_(access.visible_people(user)),
    )
    branches.append(first(
        select(Tombstone.seq.label("seq"), literal(TOMBSTONE, String).label("entity"), cast(Tombstone.id, String).label("pk")).where(
            Tombstone.seq > after,
            Tombstone.seq <= until,
            or_(Tombstone.user_id == user.id, gone_for_all),
        ),
        Tombstone.seq,
    ))
    found = union_all(*branches).subquery()
    # Every row takes its own counter value, so seqs are unique and a page boundary splits nothing.
    find = select(found.c.seq, found.c.entity, found.c.pk).order_by(found.c.seq).limit(limit + 1)
    # A window with nothing of the user's in it (their services were quiet while others' were
    # busy) is passed over within the request, up to EMPTY_WINDOWS of them, rather than answered
    # as an empty page: each request has a fixed cost. Each window passed over doubles the next, so
    # a long stretch of other services' rows is crossed in a few queries (each has a fixed cost too:
    # on PostgreSQL, at 50,000 people, a manager's first sync went from 120 s to 107 s).
    end = cursor
    size = window
    for _ in range(1 if window is None else EMPTY_WINDOWS):
        start, end = end, upto if window is None else min(upto, end + size)
        page_rows = db.session.execute(find, {"after": start, "until": end}).all()
        if page_rows or end >= upto:
            break
        size *= 2
    full = len(page_rows) > limit
    page_rows = page_rows[:limit]

    wanted: dict[str, list[str]] = {}
    for _, name, pk in page_rows:
        wanted.setdefault(name, []).append(pk)
    loaded: dict[tuple[str, str], Any] = {}
    # In the entities' order, so rows a record's schema loads with it (an outcome's actions) are
    # already in the session when their own entity's turn comes, and only the rest are read. Tables
    # with a `read` (reviews, evidence, checks, ...) are read as Core rows, not ORM objects.
    order = {name: i for i, name in enumerate(ENTITIES)}
    for name, pks in sorted(wanted.items(), key=lambda item: order.get(item[0], len(order))):
        model = Tombstone if name == TOMBSTONE else ENTITIES[name].model
        pk = _pk(model)
        keys = [int(k) for k in pks] if isinstance(pk.type, Integer) else pks
        read = None if name == TOMBSTONE else ENTITIES[name].read
        if read is not None:
            for row in read(keys):
                loaded[(name, str(row.id))] = row
            continue
        if name != TOMBSTONE:
            held = db.session.identity_map
            for key in keys:
                row = held.get(db.session.identity_key(model, key))
                if row is not None:
                    loaded[(name, str(key))] = row
            keys = [key for key in keys if (name, str(key)) not in loaded]
            if not keys:
                continue
        query = select(model).where(pk.in_(keys))
        if hasattr(model, "field_versions"):  # the server's merge bookkeeping: never sent, so not read
            query = query.options(defer(model.field_versions))
        for row in db.session.execute(query).scalars():
            loaded[(name, str(getattr(row, pk.key)))] = row

    changes = []
    shown: dict[str, list[str]] = {}  # person id -> "entity:id" of their records on this page
    # What the page's outcomes and actions show (the latest reviews, for next_review_due and
    # last_score, and the owners' names), read once for the page, and the keyworkers of every person on it.
    outcomes.show([row for (name, _), row in loaded.items() if name == "outcome"],
                  [row for (name, _), row in loaded.items() if name == "action"])
    token = _page_keyworkers.set(keyworkers_of([pk for _, name, pk in page_rows if name == "person"]))
    try:
        for seq, name, pk in page_rows:
            _page_change(seq, name, pk, loaded, changes, shown)
    finally:
        _page_keyworkers.reset(token)
    _audit_pull(user, shown, loaded)
    if full:
        return {"cursor": page_rows[-1][0], "more": True, "reset": False, "changes": changes}
    return {"cursor": end, "more": end < upto, "reset": False, "changes": changes}


def _page_change(seq: int, name: str, pk: str, loaded: dict, changes: list, shown: dict) -> None:
    """Add one row of a pull page to `changes`, and note whose records it shows."""
    row = loaded.get((name, pk))
    if row is None:
        # Deleted since the page was found (PostgreSQL reads each statement afresh). That
        # transaction committed after `upto` was read, so its tombstone comes in a later pull.
        return
    if name == TOMBSTONE:
        changes.append({"entity": row.entity, "op": "delete", "id": row.entity_id, "seq": seq})
    else:
        entity = ENTITIES[name]
        key = entity.key(row)
        changes.append({"entity": name, "op": "put", "id": key, "seq": seq, "data": entity.dump(row)})
        person_id = row.id if entity.model is Person else getattr(row, "person_id", None)
        if person_id is not None:
            shown.setdefault(person_id, []).append(f"{name}:{key}")


# Read a scope from its people when (people in scope)^2 <= SMALL_SCOPE_FACTOR x (people in the
# database): where (rows of the scope) ~ (rows of a page) x (database / scope), for about 36
# rows per person per table and pages of 500 (pages of 1,000 would double it; the smaller factor
# errs toward the seq walk, which its windows keep cheap). Otherwise walk the seq index, a window
# of about WINDOW_PAGES pages of the scope's rows at a time.
SMALL_SCOPE_FACTOR = 14
WINDOW_PAGES = 2.0
EMPTY_WINDOWS = 8


SCOPE_SIZE_SECONDS = 60.0
_scope_sizes: dict[tuple[str, str], tuple[float, tuple[int, int]]] = {}


def _scope_size(user: User) -> tuple[int, int]:
    """(people `user` may see, people in the database): every organisation's rows share the seq
    counter. Only the plan and the window's size depend on it, never which changes a sync brings or
    their order (tests/test_pull_plans.py), so a count up to SCOPE_SIZE_SECONDS old serves: a
    manager's first sync of a thousand pages counts their 5,000 people once a minute, not once a
    page (on PostgreSQL at 50,000 people, about 10 ms a page)."""
    key = (str(db.session.get_bind().url), user.id)
    now = time.monotonic()
    kept = _scope_sizes.get(key)
    if kept is not None and now - kept[0] < SCOPE_SIZE_SECONDS:
        return kept[1]
    scope = select(func.count()).select_from(access.visible_people(user).subquery()).scalar_subquery()
    everyone = select(func.count(Person.id)).scalar_subquery()
    in_scope, everyone = db.session.execute(select(scope, everyone)).one()
    if len(_scope_sizes) >= 10_000:
        _scope_sizes.clear()
    _scope_sizes[key] = (now, (in_scope, everyone))
    return in_scope, everyone


def _pk(model):
    return sa_inspect(model).primary_key[0]


def _audit_pull(user: User, shown: dict[str, list[str]], loaded: dict) -> None:
    """One "sync_pull" view entry per person whose records this page carries (staff only)."""
    from .viewlog import viewed_people

    if not shown or access.is_person(user):
        return
    people = {row.id: row for (name, _), row in loaded.items() if name == "person"}
    missing = [pid for pid in shown if pid not in people]
    if missing:
        # An entry needs each person's id and service only: read those, not whole people.
        people.update({row.id: row for row in db.session.execute(select(Person.id, Person.service_id).where(Person.id.in_(missing)))})
    viewed_people(user, (people.get(pid) for pid in shown), "sync_pull", shown)


# ---- scope changes ----

def _user_and_person(user_id: str, person_id: str) -> tuple[User, Person]:
    user = db.session.get(User, str(user_id))
    person = db.session.get(Person, str(person_id))
    if user is None:
        raise NotFound("No such user.", fields={"user_id": ["No such user."]})
    if person is None or person.organisation_id != user.organisation_id:
        raise NotFound("No such person.", fields={"person_id": ["No such person."]})
    return user, person


def _can_see(user: User, person_id: str) -> bool:
    return db.session.execute(access.visible_people(user).where(Person.id == person_id)).first() is not None


def remove_from_caseload(user_id: str, person_id: str, actor: User | None = None) -> bool:
    """Take a person off a user's caseload. Their phone is told to delete the caseload entry and,
    when the person has left the user's scope, the person and all their records.
    Returns False when the person was not on the caseload. The caller commits."""
    user, person = _user_and_person(user_id, person_id)
    row = db.session.execute(
        select(CaseloadAssignment).where(CaseloadAssignment.user_id == user.id, CaseloadAssignment.person_id == person.id)
    ).scalar_one_or_none()
    if row is None:
        return False
    db.session.delete(row)
    db.session.flush()
    tombstone(db.session, "caseload", person.id, person.id, user_id=user.id)
    restamp_person(person.id)  # the keyworkers shown with the person changed
    if not _can_see(user, person.id):
        person_left_scope(user.id, person.id)
    if actor is not None:
        audit.record(actor, "caseload_remove", "caseload", person.id, person=person, user_id=user.id)
    return True


def add_to_caseload(user_id: str, person_id: str, keyworker: bool = True, actor: User | None = None) -> CaseloadAssignment:
    """Put a person on a user's caseload; the person's existing records reach the user's next pull.
    Idempotent. The caller commits."""
    user, person = _user_and_person(user_id, person_id)
    row = db.session.execute(
        select(CaseloadAssignment).where(CaseloadAssignment.user_id == user.id, CaseloadAssignment.person_id == person.id)
    ).scalar_one_or_none()
    if row is not None:
        return row
    restamp = not _can_see(user, person.id)
    row = CaseloadAssignment(user_id=user.id, person_id=person.id, keyworker=keyworker)
    db.session.add(row)
    db.session.flush()
    if restamp:
        person_entered_scope(person.id)
    else:
        restamp_person(person.id)  # the keyworkers shown with the person changed
    if actor is not None:
        audit.record(actor, "caseload_add", "caseload", person.id, person=person, user_id=user.id)
    return row


def person_left_scope(user_id: str, person_id: str) -> None:
    """Tell `user_id`'s phones to delete the person and everything of theirs. For any scope change
    (caseload, a manager's services, a person moving service)."""
    tombstone(db.session, "person", person_id, person_id, user_id=user_id)


def restamp_person(person_id: str) -> None:
    """Give the person's own row a fresh seq (nothing else of theirs), so phones that hold them pull
    it again: for a change to what the row shows that is stored elsewhere (their keyworkers)."""
    db.session.flush()
    db.session.execute(
        update(Person).where(Person.id == person_id)
        .values(seq=next_seq(db.session), updated_at=Person.updated_at)
        .execution_options(synchronize_session=False)
    )
    db.session.expire_all()


def person_entered_scope(person_id: str) -> None:
    """Re-stamp the person and every record of theirs with fresh seq values, so the rows rise above
    every cursor and reach whoever can now see them (and, harmlessly, again those who already could).
    Timestamps are left alone: nothing about the records changed."""
    db.session.flush()
    for entity in ENTITIES.values():
        model = entity.model
        if model is Person:
            where = Person.id == person_id
        elif model is CaseloadAssignment or "person_id" not in model.__table__.c:
            continue
        else:
            where = model.person_id == person_id
        pk = _pk(model)
        ids = db.session.execute(select(pk).where(where).order_by(model.seq)).scalars().all()
        keep = {"updated_at": model.updated_at} if "updated_at" in model.__table__.c else {}
        for row_id in ids:
            db.session.execute(
                update(model)
                .where(pk == row_id)
                .values(seq=next_seq(db.session), **keep)
                .execution_options(synchronize_session=False)
            )
    db.session.expire_all()
