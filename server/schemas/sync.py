"""The sync contract (SYNC.md): the push envelope and reply, the pull query and reply.

Push  POST /api/v1/sync/push
  in:   {"device_id": "<uuid>", "mutations": [{"id": 1, "name": "review.create", "args": {...}, "at": "<iso>"}]}
  out:  {"device_id": "<uuid>", "last_mutation_id": 7, "resume_from": null, "gap": null,
         "results": [<result>, ...]}                       one result per mutation processed, in order

  A result always has "id" (the mutation id), "name", "status" and "record_id" (the record the
  mutation creates or edits: its `args.id`, or null when that was missing). By status:
    applied    "entity", "version" (null for append-only records)
    duplicate  either "entity", "version" (a create whose record already exists with the same payload),
               or "original": the result stored when this mutation id was first processed (n <= last_mutation_id)
    conflict   "entity", "version", "error" {code: "conflict", message, fields}, "current" (the record as the
               server has it) and "applied" (the names of the fields of this edit that did merge)
    rejected   "error" {code, message, fields, ...}: bad input, no permission, a record that no longer exists

  A gap (a mutation id above last_mutation_id + 1) stops the batch: the results stop before it,
  "gap" is {"expected": L + 1, "received": n} and "resume_from" is L + 1. Otherwise both are null.
  An empty batch is allowed: it binds the device and reports last_mutation_id.

Pull  GET /api/v1/sync/pull?cursor=C&limit=N
  out:  {"cursor": 42, "more": false, "reset": false,
         "changes": [{"entity": "review", "op": "put", "id": "<id>", "seq": 40, "data": {...}},
                     {"entity": "person", "op": "delete", "id": "<id>", "seq": 41}]}
  Apply changes in order. Call again with the new cursor while "more" is true: a page may hold fewer
  than the limit, even none, and still have more after it. "reset": true means
  the cursor is ahead of this server (a restored database): delete the local copy, pull from 0.
"""
from __future__ import annotations

from marshmallow import EXCLUDE, fields, validates_schema

from .common import BaseInput, Int, PlausibleDateTime, StrictSchema, Text, Uuid, ValidationError

STATUSES = ("applied", "duplicate", "conflict", "rejected")
# JavaScript's Number.MAX_SAFE_INTEGER: the phone counts mutations with plain numbers.
MAX_MUTATION_ID = 2**53 - 1
# The change counter is a BIGINT.
MAX_CURSOR = 2**63 - 1


class SyncMutationIn(BaseInput):
    id = Int(
        1,
        MAX_MUTATION_ID,
        error="Must be a positive whole number.",
        required=True,
        metadata={"description": "Strictly increasing per device, starting at 1"},
    )
    name = Text(
        60,
        min_length=1,
        required=True,
        metadata={"description": "review.create, outcome.update, ... (see SYNC.md); an unknown name is rejected"},
    )
    # The args are checked by the mutation's own schema (the REST endpoint's), field by field, and a
    # bad one makes that mutation `rejected`, naming the field, without stopping the batch.
    args = fields.Dict(
        keys=fields.String(),
        required=True,
        metadata={"description": "The record's fields, loaded with the same schema as the REST endpoint; always carries `id`"},
    )
    at = PlausibleDateTime(load_default=None, allow_none=True, metadata={"description": "When the user did it (phone clock)."})


class SyncPushIn(BaseInput):
    device_id = Uuid(required=True, metadata={"description": "Made by the app on first run; bound to the first user who pushes with it"})
    mutations = fields.List(
        fields.Nested(SyncMutationIn),
        required=True,
        metadata={"description": "In order, ids strictly increasing; at most SYNC_MAX_MUTATIONS (500) per push"},
    )

    @validates_schema
    def _increasing(self, data, **_):
        ids = [m["id"] for m in data.get("mutations") or []]
        for before, after in zip(ids, ids[1:]):
            if after <= before:
                raise ValidationError(
                    f"Mutation ids must be strictly increasing within a batch: {after} follows {before}.", "mutations"
                )


class SyncErrorOut(StrictSchema):
    code = fields.String()
    message = fields.String()
    fields_ = fields.Dict(data_key="fields")


class SyncResultOut(StrictSchema):
    id = fields.Integer(metadata={"description": "The mutation id"})
    name = fields.String()
    status = fields.String(metadata={"enum": list(STATUSES)})
    record_id = fields.String(allow_none=True)
    entity = fields.String()
    version = fields.Integer(allow_none=True)
    # `error` keeps any extra detail the domain gave (for example `previous_score` on a score drop).
    error = fields.Dict(metadata={"description": "{code, message, fields, ...} for rejected and conflict"})
    current = fields.Dict(metadata={"description": "conflict: the record as the server has it"})
    applied = fields.List(fields.String(), metadata={"description": "conflict: the fields of this edit that merged"})
    original = fields.Dict(allow_none=True, metadata={"description": "duplicate of an already-processed id: its first result"})


class SyncGapOut(StrictSchema):
    expected = fields.Integer()
    received = fields.Integer()


class SyncPushOut(StrictSchema):
    device_id = fields.String()
    last_mutation_id = fields.Integer(metadata={"description": "Every mutation up to this id is processed"})
    resume_from = fields.Integer(allow_none=True, metadata={"description": "Set when a gap stopped the batch: send from this id"})
    gap = fields.Nested(SyncGapOut, allow_none=True)
    results = fields.List(fields.Nested(SyncResultOut))


class SyncPullQuery(BaseInput):
    class Meta:
        ordered = True
        unknown = EXCLUDE  # cache-busting parameters are harmless

    cursor = Int(0, MAX_CURSOR, strict=False, load_default=0, metadata={"description": "From the last pull; 0 for everything"})
    limit = Int(
        1,
        MAX_CURSOR,
        strict=False,
        load_default=None,
        metadata={"description": "Page size; capped at SYNC_PULL_PAGE (the default)"},
    )


class SyncChangeOut(StrictSchema):
    entity = fields.String(metadata={"description": "person, caseload, outcome, action, review, evidence, check, feedback, event"})
    op = fields.String(metadata={"enum": ["put", "delete"]})
    id = fields.String()
    seq = fields.Integer()
    data = fields.Dict(metadata={"description": "put: the record, as the REST endpoints return it"})


class SyncPullOut(StrictSchema):
    cursor = fields.Integer()
    more = fields.Boolean()
    reset = fields.Boolean()
    changes = fields.List(fields.Nested(SyncChangeOut))
