"""Offline sync (SYNC.md): push applies a device's mutations, pull returns what changed in a user's scope.

Push
----
Each mutation name maps to the schema that loads its args and the same domain function the REST
endpoint calls, so a review made offline and one made through a form meet the same rules and leave
the same audit entry. The device row is locked for the whole push (SELECT ... FOR UPDATE on
PostgreSQL; on SQLite every write request already holds the write lock from BEGIN IMMEDIATE), so two
copies of a batch pushed at the same moment apply each mutation once: the second waits, then finds
`last_mutation_id` moved on and answers from the stored results. Each mutation runs in a SAVEPOINT,
so a rejected one leaves nothing half-written, and the whole batch commits before the reply is built.
If two transactions still collide on a unique key (two devices creating the same record at once) or
deadlock, the mutation or the whole push is run once more and then sees what the other committed.

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
`register("check.create", WeeklyCheckCreateSchema, improvement.create_check)` adds a mutation; the
function takes (actor, loaded_args), returns the record, raises Duplicate for a retried create
(records.check_retry does this) and DomainError for anything the user must fix.
`register_entity("check", WeeklyCheck)` adds a table to pull (scoped by its `person_id` column).
"""
from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Callable

from flask import current_app, g, has_app_context
from marshmallow import Schema, ValidationError
from sqlalchemy import Integer, String, and_, cast, insert, inspect as sa_inspect, literal, or_, select, union_all, update
from sqlalchemy.exc import IntegrityError, OperationalError

from ..extensions import db
from ..models import (
    Action,
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
from ..schemas.outcome import (
    ActionCreateSchema,
    ActionOut,
    ActionUpdateSchema,
    EvidenceCreateSchema,
    EvidenceOut,
    OutcomeCreateSchema,
    OutcomeOut,
    OutcomeUpdateSchema,
    ReviewCreateSchema,
    ReviewOut,
)
from . import access, audit, outcomes
from .changeseq import current_seq, next_seq, tombstone
from .errors import Conflict, DomainError, Duplicate, Forbidden, NotFound


class TooManyMutations(DomainError):
    status = 413
    code = "too_many_mutations"


class DeviceTaken(Forbidden):
    code = "device_taken"


# ---- the mutation registry ----

MutationFn = Callable[[User, dict], Any]
# name -> (schema class or instance that loads `args`, fn(actor, data) -> record)
MUTATIONS: dict[str, tuple[Schema | type[Schema], MutationFn]] = {}


def register(name: str, schema: Schema | type[Schema], fn: MutationFn) -> None:
    """Add a mutation name. Names are never reused with another meaning (SYNC.md)."""
    if name in MUTATIONS:
        raise ValueError(f"mutation {name!r} is already registered")
    MUTATIONS[name] = (schema, fn)


def updater(fn: Callable[..., Any]) -> MutationFn:
    """Adapt update_x(actor, record_id, data, merge_partial) to a mutation: `args.id` names the record,
    and edits to fields nobody else changed merge even when another field conflicts."""

    def apply(actor: User, data: dict):
        return fn(actor, data["id"], data, merge_partial=True)

    apply.__name__ = f"sync_{fn.__name__}"
    return apply


register("outcome.create", OutcomeCreateSchema, outcomes.create_outcome)
register("outcome.update", OutcomeUpdateSchema, updater(outcomes.update_outcome))  # partial: only `version` required
register("action.create", ActionCreateSchema, outcomes.create_action)
register("action.update", ActionUpdateSchema, updater(outcomes.update_action))
register("review.create", ReviewCreateSchema, outcomes.create_review)
register("evidence.create", EvidenceCreateSchema, outcomes.create_evidence)
from . import improvement_sync  # noqa: E402,F401  (feedback/check/event/change.create)


_instances: dict[type[Schema], Schema] = {}


def _schema(schema: Schema | type[Schema]) -> Schema:
    if not isinstance(schema, type):
        return schema
    if schema not in _instances:
        _instances[schema] = schema()
    return _instances[schema]


# ---- push ----

def push(user: User, device_id: str, mutations: list[dict]) -> dict:
    """Apply a batch from one device and commit it; return the reply (see schemas/sync.py).

    Two transactions racing on the same new device, or creating the same record from two devices,
    can meet a unique-key violation or (PostgreSQL) a deadlock: the whole push is then rolled back
    and run once more, and the second run sees what the other transaction committed."""
    limit = current_app.config["SYNC_MAX_MUTATIONS"]
    if len(mutations) > limit:
        message = f"A push carries at most {limit} mutations; this one has {len(mutations)}. Send the rest in another push."
        raise TooManyMutations(message, fields={"mutations": [f"At most {limit} mutations per push."]}, limit=limit)
    if has_app_context():
        g.device_id = device_id  # audit events record the device
    for attempt in (1, 2):
        try:
            reply = _push(user, device_id, mutations)
            db.session.commit()
            return reply
        except (IntegrityError, OperationalError) as exc:
            db.session.rollback()
            if attempt == 2 or not _retryable(exc):
                raise
    raise AssertionError("unreachable")


def _retryable(exc: Exception) -> bool:
    if isinstance(exc, IntegrityError):
        return True
    state = getattr(getattr(exc, "orig", None), "sqlstate", None)
    return state in {"40P01", "40001"}  # deadlock detected, serialization failure


def _push(user: User, device_id: str, mutations: list[dict]) -> dict:
    device = lock_device(user, device_id)
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
    results, gap = [], None
    for mutation in mutations:
        n = mutation["id"]
        if n <= last:
            results.append(_replayed(mutation, stored.get(n)))
            continue
        if n > last + 1:
            gap = {"expected": last + 1, "received": n}
            break
        result = apply_mutation(user, mutation)
        db.session.add(MutationResult(device_id=device.id, mutation_id=n, name=mutation["name"], status=result["status"], result=result))
        results.append(result)
        last = n
    device.last_mutation_id = last
    device.last_seen_at = utcnow()
    db.session.flush()
    return {
        "device_id": device.id,
        "last_mutation_id": last,
        "resume_from": last + 1 if gap else None,
        "gap": gap,
        "results": results,
    }


def lock_device(user: User, device_id: str) -> Device:
    """The device row, locked until commit; made and bound to `user` on its first push."""
    device = _select_device(device_id)
    if device is None:
        now = utcnow()
        # ON CONFLICT DO NOTHING: a concurrent first push of the same device waits for the other
        # transaction and then finds its row, instead of failing on the primary key.
        db.session.execute(
            _insert_ignoring_conflict(Device).values(id=device_id, user_id=user.id, last_mutation_id=0, created_at=now, last_seen_at=now)
        )
        device = _select_device(device_id)
    if device.user_id != user.id:
        raise DeviceTaken(
            "This device is registered to another account. Sign out, then sign in again to register it for you.",
            fields={"device_id": ["Registered to another account."]},
        )
    return device


def _select_device(device_id: str) -> Device | None:
    q = select(Device).where(Device.id == device_id).with_for_update().execution_options(populate_existing=True)
    return db.session.execute(q).scalar_one_or_none()


def _insert_ignoring_conflict(model):
    dialect = db.engine.dialect.name
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as dialect_insert
    elif dialect == "sqlite":
        from sqlalchemy.dialects.sqlite import insert as dialect_insert
    else:  # pragma: no cover - the app runs on SQLite and PostgreSQL; elsewhere the push retry covers it
        return insert(model)
    return dialect_insert(model).on_conflict_do_nothing()


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


def apply_mutation(user: User, mutation: dict) -> dict:
    """Apply one mutation in a savepoint and return its result. Never raises for bad input."""
    name, args = mutation["name"], mutation["args"]
    base = {"id": mutation["id"], "name": name, "record_id": _record_id(args)}
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
    entity = name.split(".", 1)[0]

    for attempt in (1, 2):
        savepoint = db.session.begin_nested()
        try:
            record = fn(user, data)
            savepoint.commit()
        except Duplicate as dup:
            savepoint.rollback()
            return {**base, "status": "duplicate", "entity": entity, "version": getattr(dup.record, "version", None)}
        except Conflict as exc:
            # With merge_partial the fields nobody else changed were applied: keep them.
            savepoint.commit()
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
            savepoint.rollback()
            extra = {k: v for k, v in exc.extra.items() if k not in {"code", "message", "fields"}}
            return _rejected(base, exc.code, exc.message, exc.fields, **extra)
        except ValidationError as exc:
            savepoint.rollback()
            return _validation_rejected(base, exc)
        except IntegrityError:
            savepoint.rollback()
            if attempt == 1:
                # Another transaction committed the same key meanwhile (PostgreSQL); run again so
                # check_retry sees it and answers duplicate or rejected.
                continue
            return _rejected(base, "conflict", "This conflicts with a record that already exists.", {})
        except BaseException:
            savepoint.rollback()
            raise
        return {**base, "status": "applied", "entity": entity, "version": getattr(record, "version", None)}
    raise AssertionError("unreachable")


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
    scope: Callable[[User, Any], Any]  # (user, select of visible person ids) -> where clause
    key: Callable[[Any], str]


ENTITIES: dict[str, Entity] = {}


def dump_columns(obj) -> dict:
    """A plain dict of a row's columns, for tables without an Out schema."""
    out = {}
    for attr in sa_inspect(type(obj)).column_attrs:
        if attr.key in {"seq", "origin_hash", "field_versions"}:
            continue
        value = getattr(obj, attr.key)
        out[attr.key] = value.isoformat() if isinstance(value, (date, datetime)) else value
    return out


def register_entity(name: str, model: type, dump: Callable[[Any], dict] = dump_columns, scope=None, key=None) -> None:
    """Add a synced table to pull. By default rows are scoped by their `person_id` column."""
    if name in ENTITIES:
        raise ValueError(f"entity {name!r} is already registered")
    ENTITIES[name] = Entity(
        name=name,
        model=model,
        dump=dump,
        scope=scope or (lambda user, visible: model.person_id.in_(visible)),
        key=key or (lambda row: str(row.id)),
    )


def _dump_person(person: Person) -> dict:
    return {
        "id": person.id,
        "name": person.name,
        "preferred_name": person.preferred_name,
        "service_id": person.service_id,
        "weekly_checks": person.weekly_checks,
        "joined_on": person.joined_on.isoformat() if person.joined_on else None,
        "version": person.version,
    }


def _dump_evidence(note: EvidenceNote) -> dict:
    return {**EvidenceOut().dump(note), "outcome_id": note.outcome_id}


register_entity("person", Person, _dump_person, scope=lambda user, visible: Person.id.in_(visible))
# The signed-in user's own caseload entries, keyed by person id (one entry per person per user).
register_entity(
    "caseload",
    CaseloadAssignment,
    lambda row: {"person_id": row.person_id, "keyworker": row.keyworker},
    scope=lambda user, visible: and_(CaseloadAssignment.user_id == user.id, CaseloadAssignment.person_id.in_(visible)),
    key=lambda row: row.person_id,
)
register_entity("outcome", Outcome, OutcomeOut().dump)
register_entity("action", Action, ActionOut().dump)
register_entity("review", Review, ReviewOut().dump)
register_entity("evidence", EvidenceNote, _dump_evidence)
register_entity("check", WeeklyCheck)
register_entity("feedback", FeedbackConversation)
register_entity("event", ServiceEvent)

NO_NAMED_RECORDS = {"commissioner", "admin"}
TOMBSTONE = "-tombstone"  # never an entity name


def pull(user: User, cursor: int = 0, limit: int | None = None) -> dict:
    """What changed in `user`'s scope after `cursor`, oldest first, one page (see schemas/sync.py)."""
    if user.role in NO_NAMED_RECORDS:
        raise Forbidden("Your role sees aggregate figures only, not people's records.")
    page = current_app.config["SYNC_PULL_PAGE"]
    limit = min(limit or page, page)
    upto = current_seq(db.session)  # every row with seq <= upto is committed (see the module docstring)
    if cursor > upto:
        return {"cursor": 0, "more": True, "reset": True, "changes": []}

    # One query finds the page: (seq, entity, primary key) from every table, merged in seq order.
    # Then only the rows on the page are loaded, one query per entity that appears. A pull that
    # finds nothing (a phone polling) costs one query after the counter.
    visible = access.visible_people(user)
    branches = []
    for entity in ENTITIES.values():
        model = entity.model
        branches.append(
            select(model.seq.label("seq"), literal(entity.name, String).label("entity"), cast(_pk(model), String).label("pk"))
            .where(model.seq > cursor, model.seq <= upto, entity.scope(user, visible))
        )
    branches.append(
        select(Tombstone.seq.label("seq"), literal(TOMBSTONE, String).label("entity"), cast(Tombstone.id, String).label("pk")).where(
            Tombstone.seq > cursor,
            Tombstone.seq <= upto,
            or_(Tombstone.user_id == user.id, and_(Tombstone.user_id.is_(None), Tombstone.person_id.in_(visible))),
        )
    )
    found = union_all(*branches).subquery()
    # Every row takes its own counter value, so seqs are unique and a page boundary splits nothing.
    page_rows = db.session.execute(select(found.c.seq, found.c.entity, found.c.pk).order_by(found.c.seq).limit(limit + 1)).all()
    more = len(page_rows) > limit
    page_rows = page_rows[:limit]

    wanted: dict[str, list[str]] = {}
    for _, name, pk in page_rows:
        wanted.setdefault(name, []).append(pk)
    loaded: dict[tuple[str, str], Any] = {}
    for name, pks in wanted.items():
        model = Tombstone if name == TOMBSTONE else ENTITIES[name].model
        pk = _pk(model)
        keys = [int(k) for k in pks] if isinstance(pk.type, Integer) else pks
        for row in db.session.execute(select(model).where(pk.in_(keys))).scalars():
            loaded[(name, str(getattr(row, pk.key)))] = row

    changes = []
    for seq, name, pk in page_rows:
        row = loaded.get((name, pk))
        if row is None:
            # Deleted since the page was found (PostgreSQL reads each statement afresh). That
            # transaction committed after `upto` was read, so its tombstone comes in a later pull.
            continue
        if name == TOMBSTONE:
            changes.append({"entity": row.entity, "op": "delete", "id": row.entity_id, "seq": seq})
        else:
            entity = ENTITIES[name]
            changes.append({"entity": name, "op": "put", "id": entity.key(row), "seq": seq, "data": entity.dump(row)})
    return {"cursor": page_rows[-1][0] if more else upto, "more": more, "reset": False, "changes": changes}


def _pk(model):
    return sa_inspect(model).primary_key[0]


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
    if actor is not None:
        audit.record(actor, "caseload_add", "caseload", person.id, person=person, user_id=user.id)
    return row


def person_left_scope(user_id: str, person_id: str) -> None:
    """Tell `user_id`'s phones to delete the person and everything of theirs. For any scope change
    (caseload, a manager's services, a person moving service)."""
    tombstone(db.session, "person", person_id, person_id, user_id=user_id)


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
