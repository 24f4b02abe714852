"""The sync mutation registry: every kind of record a phone may create or change offline, by name.

Each capture module registers its own mutations where its rules live (outcomes.py, feedback.py,
checks.py, events.py, changes.py), with the same input schema and domain function as its REST
endpoint: `register("check.create", WeeklyCheckCreateSchema, create_check)`. The function takes
(actor, loaded_args), returns the record, raises Duplicate for a retried create
(records.check_retry does this) and DomainError for anything the user must fix.
server/domain/sync.py applies a push's mutations by looking them up here. This module imports
nothing of the project, so any module may register into it without an import cycle.
"""
from __future__ import annotations

from typing import Any, Callable

from marshmallow import Schema

MutationFn = Callable[[Any, dict], Any]
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

    def apply(actor, data: dict):
        return fn(actor, data["id"], data, merge_partial=True)

    apply.__name__ = f"sync_{fn.__name__}"
    return apply
