"""Every table, so Alembic sees them all."""
from .base import UTCDateTime, new_id, utcnow  # noqa: F401
from .improvement import (  # noqa: F401
    EVENT_KINDS,
    SATISFACTION_RATED_BY,
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
from .organisation import INVITATION_PURPOSES, Invitation  # noqa: F401
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
    AUDIT_APPEND_ONLY,
    MUTATION_STATUSES,
    AuditEvent,
    ChangeCounter,
    Device,
    MutationResult,
    Notification,
    PushSubscription,
    ReviewAcknowledgement,
    Tombstone,
)
from .wellbeing import WELLBEING_AREAS, WELLBEING_CODES, OutcomeWellbeingArea  # noqa: F401
from .governance import ESCALATION_RULES, ESCALATION_STATUSES, LEARNING_SOURCES, CarePlanAudit, CarePlanAuditOutcome, Escalation, LearningEntry, Supervision, SupervisionEntry  # noqa: F401,E501
