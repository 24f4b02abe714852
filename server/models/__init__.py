"""Every table, so Alembic sees them all."""
from .base import UTCDateTime, new_id, utcnow  # noqa: F401
from .improvement import (  # noqa: F401
    EVENT_KINDS,
    Change,
    ChangeOutcome,
    ChangePerson,
    ChangeTheme,
    FeedbackConversation,
    FeedbackTheme,
    ServiceEvent,
    Theme,
    WeeklyCheck,
)
from .organisation import ROLES, SERVICE_KINDS, AuthSession, Organisation, Service, User, UserService  # noqa: F401
from .outcome import (  # noqa: F401
    ACTION_STATUSES,
    OUTCOME_STATUSES,
    OWNER_KINDS,
    RATED_BY,
    REVIEW_EVERY,
    Action,
    EvidenceNote,
    Outcome,
    Review,
)
from .person import CaseloadAssignment, Person  # noqa: F401
from .system import (  # noqa: F401
    AuditEvent,
    ChangeCounter,
    Device,
    MutationResult,
    Notification,
    PushSubscription,
    Tombstone,
)
