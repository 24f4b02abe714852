"""Sync mutations for listening and change (SYNC.md names): the phone's outbox sends these to
/api/v1/sync/push, and they run the same schemas and domain functions as the REST endpoints
POST /feedback, /checks, /events and /changes. Imported by sync.py, where the registry lives."""
from ..schemas.improvement import ChangeCreateSchema, EventCreateSchema, FeedbackCreateSchema, WeeklyCheckCreateSchema
from . import improvement
from .sync import register

register("feedback.create", FeedbackCreateSchema, improvement.create_feedback)
register("check.create", WeeklyCheckCreateSchema, improvement.create_check)
register("event.create", EventCreateSchema, improvement.create_event)
register("change.create", ChangeCreateSchema, improvement.create_change)
