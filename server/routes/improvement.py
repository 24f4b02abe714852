"""Feedback and themes, co-produced changes and their effect, weekly checks and events.

Thin: parse with the schemas, call the domain modules (feedback, themes, theme_suggestions,
changes, change_effects, checks, events), dump.
"""
from __future__ import annotations

from flask_login import current_user, login_required
from flask_smorest import Blueprint

from ..domain import change_effects, changes, checks, events, feedback, theme_suggestions, themes, you_said_we_did
from ..extensions import db
from .common import create_idempotent
from ..schemas.improvement import (
    ChangeCreateSchema,
    ChangeOut,
    ChangePage,
    ChangeQuery,
    EffectOut,
    EffectQuery,
    EventCreateSchema,
    EventOut,
    EventQuery,
    FeedbackCreateSchema,
    FeedbackOut,
    FeedbackPage,
    FeedbackQuery,
    FeedbackReviewSchema,
    SuggestionsOut,
    ThemeCountsOut,
    ThemeCountsQuery,
    ThemeListOut,
    WeeklyCheckCreateSchema,
    WeeklyCheckOut,
    YouSaidWeDidOut,
)

feedback_blp = Blueprint("feedback", __name__, url_prefix="/api/v1", description="Feedback conversations and their themes")
changes_blp = Blueprint("changes", __name__, url_prefix="/api/v1", description="Co-produced changes and whether they made a difference")
checks_blp = Blueprint("checks", __name__, url_prefix="/api/v1", description="Weekly checks and service events")

blueprints = [feedback_blp, changes_blp, checks_blp]


# ---- feedback ----

@feedback_blp.route("/feedback", methods=["POST"])
@login_required
@feedback_blp.arguments(FeedbackCreateSchema)
@feedback_blp.response(201, FeedbackOut)
def create_feedback(data):
    """Record a quarterly feedback conversation: "What works well?", "What feels difficult?",
    "What would you change?". Support workers for their caseload, managers for their services."""
    conversation, status = create_idempotent(feedback.create_feedback, data)
    return feedback.shown(conversation), status


@feedback_blp.route("/feedback")
@login_required
@feedback_blp.arguments(FeedbackQuery, location="query")
@feedback_blp.response(200, FeedbackPage)
def list_feedback(query):
    """Feedback conversations you can see, newest first. `status=unreviewed` is the manager's queue.
    With `limit` or `cursor`: a page `{items, next_cursor}`; without either, the newest 100 as a
    bare list, as before paging."""
    result = feedback.list_feedback(current_user, query["service"], query["status"], query["person"], query["limit"], query["cursor"])
    feedback.show(result["items"] if isinstance(result, dict) else result)
    return result


@feedback_blp.route("/feedback/<feedback_id>")
@login_required
@feedback_blp.response(200, FeedbackOut)
def get_feedback(feedback_id):
    return feedback.shown(feedback.view_feedback(current_user, feedback_id))


@feedback_blp.route("/feedback/<feedback_id>/review", methods=["POST"])
@login_required
@feedback_blp.arguments(FeedbackReviewSchema)
@feedback_blp.response(200, FeedbackOut)
def review_feedback(data, feedback_id):
    """Tag themes and mark the conversation reviewed (registered managers). The tags become exactly
    `theme_ids` plus `new_themes`; a new name matching an existing theme (any case) reuses it."""
    conversation = themes.review_feedback(current_user, feedback_id, data)
    db.session.commit()
    return feedback.shown(conversation)


@feedback_blp.route("/feedback/<feedback_id>/suggested-themes")
@login_required
@feedback_blp.response(200, SuggestionsOut)
def suggested_themes(feedback_id):
    """Existing themes whose words already appeared in earlier tagged answers, with the matching
    words and how often they were tagged (registered managers)."""
    return theme_suggestions.suggest_themes(current_user, feedback_id)


@feedback_blp.route("/themes")
@login_required
@feedback_blp.response(200, ThemeListOut(many=True))
def list_themes():
    """Your organisation's themes, with how many conversations you can see tagged with each."""
    return themes.list_themes(current_user)


@feedback_blp.route("/services/<service_id>/themes")
@login_required
@feedback_blp.arguments(ThemeCountsQuery, location="query")
@feedback_blp.response(200, ThemeCountsOut)
def theme_counts(query, service_id):
    """Theme counts per calendar quarter, oldest first, ending with the current quarter: how many
    conversations there were, how many were reviewed, and how many were tagged with each theme."""
    return themes.theme_counts(current_user, service_id, query["quarters"])


# ---- changes ----

@changes_blp.route("/changes", methods=["POST"])
@login_required
@changes_blp.arguments(ChangeCreateSchema)
@changes_blp.response(201, ChangeOut)
def create_change(data):
    """Log a co-produced change (registered managers, in their services)."""
    change, status = create_idempotent(changes.create_change, data)
    return changes.change_view(current_user, change), status


@changes_blp.route("/changes")
@login_required
@changes_blp.arguments(ChangeQuery, location="query")
@changes_blp.response(200, ChangePage)
def list_changes(query):
    """Co-produced changes, newest first. A support worker sees the changes for their caseload or
    their whole service, naming only people on their caseload. Commissioners get them anonymised:
    no description, no names, no person or outcome ids, no free text. With `limit` or `cursor`: a
    page `{items, next_cursor}`; without either, the whole list as before paging."""
    if query["limit"] is None and query["cursor"] is None:
        return changes.view_changes(current_user, query["service"])
    return changes.view_changes_page(current_user, query["service"], query["limit"], query["cursor"])


@changes_blp.route("/changes/<change_id>")
@login_required
@changes_blp.response(200, ChangeOut)
def get_change(change_id):
    return changes.view_change(current_user, change_id)


@changes_blp.route("/changes/<change_id>/effect")
@login_required
@changes_blp.arguments(EffectQuery, location="query")
@changes_blp.response(200, EffectOut)
def change_effect(query, change_id):
    """Before/after figures for a change: weekly incidents (rate ratio with a 95% CI), engagement
    and mood (difference in means with a 95% Welch CI), other changes starting in the same window,
    the feedback themes it answers, and a plain-English summary. Managers and senior leaders;
    commissioners get it anonymised."""
    return change_effects.change_effect(current_user, change_id, query["weeks"], query["quarters"])


# ---- weekly checks and events ----

@checks_blp.route("/checks", methods=["POST"])
@login_required
@checks_blp.arguments(WeeklyCheckCreateSchema)
@checks_blp.response(201, WeeklyCheckOut)
@checks_blp.alt_response(409, description="A check for this person and week is already recorded (names `week_of`)")
def create_check(data):
    """Record a weekly check. `week_of` may be any day of the week: it is stored as that week's
    Monday. One check per person per week."""
    return create_idempotent(checks.create_check, data)


@checks_blp.route("/people/<person_id>/checks")
@login_required
@checks_blp.response(200, WeeklyCheckOut(many=True))
def person_checks(person_id):
    """A person's weekly checks, newest week first."""
    rows = checks.checks_of(current_user, person_id)
    return rows


@checks_blp.route("/events", methods=["POST"])
@login_required
@checks_blp.arguments(EventCreateSchema)
@checks_blp.response(201, EventOut)
def create_event(data):
    """Record a restrictive practice, unplanned hospital admission, community participation or employment."""
    return create_idempotent(events.create_event, data)


@checks_blp.route("/people/<person_id>/events")
@login_required
@checks_blp.arguments(EventQuery, location="query")
@checks_blp.response(200, EventOut(many=True))
def person_events(query, person_id):
    rows = events.events_of(current_user, person_id, query["kind"])
    return rows


@feedback_blp.route("/people/<person_id>/you-said-we-did")
@login_required
@feedback_blp.response(200, YouSaidWeDidOut(many=True))
def person_you_said_we_did(person_id):
    """“You said, we did”: the co-produced changes that answered themes tagged on this person's
    feedback, each with what they said before it started. The person may read their own."""
    return you_said_we_did.for_person(current_user, person_id)
