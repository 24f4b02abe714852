"""Rules the database enforces, and the audit trail made append-only:

- CHECK constraints on scores (reviews 1-5; weekly checks' engagement and mood 1-5, incidents 0 or
  more), on an outcome's dates, and on every enumeration column;
- triggers refusing UPDATE and DELETE of audit_events (SQLite and PostgreSQL);
- review_acknowledgements: acknowledgements of overdue reviews, moved out of the audit trail;
- auth_sessions.device_id (the device bound to a session server-side) and devices.user_agent.

The value lists are written out here as they were when this revision was made (a revision must not
change when the models do); tests/test_migrations.py checks that they match the models.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-27 09:00:00.000000

"""
from datetime import date, datetime, timezone

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def _one_of(column, values):
    return column + " IN (" + ", ".join("'" + v + "'" for v in values) + ")"


CHECKS = {
    'users': [
        ('ck_users_role', _one_of('role', ('support_worker', 'registered_manager', 'senior_leader', 'commissioner', 'person', 'admin'))),
    ],
    'services': [
        ('ck_services_kind', _one_of('kind', ('supported_living', 'domiciliary', 'residential'))),
    ],
    'outcomes': [
        ('ck_outcomes_status', _one_of('status', ('active', 'achieved', 'paused', 'retired'))),
        ('ck_outcomes_review_every', _one_of('review_every', ('weekly', 'fortnightly', 'monthly', 'quarterly'))),
        ('ck_outcomes_dates', 'review_by >= starts_on'),
    ],
    'actions': [
        ('ck_actions_owner_kind', _one_of('owner_kind', ('staff', 'person', 'other'))),
        ('ck_actions_status', _one_of('status', ('open', 'done', 'dropped'))),
    ],
    'reviews': [
        ('ck_reviews_score', 'score >= 1 AND score <= 5'),
        ('ck_reviews_rated_by', _one_of('rated_by', ('person', 'staff', 'together'))),
    ],
    'weekly_checks': [
        ('ck_weekly_checks_incidents', 'incidents >= 0'),
        ('ck_weekly_checks_engagement', 'engagement >= 1 AND engagement <= 5'),
        ('ck_weekly_checks_mood', 'mood >= 1 AND mood <= 5'),
    ],
    'service_events': [
        ('ck_service_events_kind', _one_of('kind', ('restrictive_practice', 'hospital_admission', 'community_participation', 'employment'))),
    ],
    'mutation_results': [
        ('ck_mutation_results_status', _one_of('status', ('applied', 'duplicate', 'conflict', 'rejected'))),
    ],
}

APPEND_ONLY = {
    'sqlite': [
        "CREATE TRIGGER audit_events_no_update BEFORE UPDATE ON audit_events "
        "BEGIN SELECT RAISE(ABORT, 'audit_events is append-only'); END",
        "CREATE TRIGGER audit_events_no_delete BEFORE DELETE ON audit_events "
        "BEGIN SELECT RAISE(ABORT, 'audit_events is append-only'); END",
    ],
    'postgresql': [
        "CREATE OR REPLACE FUNCTION audit_events_append_only() RETURNS trigger LANGUAGE plpgsql AS $$ "
        "BEGIN RAISE EXCEPTION USING ERRCODE = 'restrict_violation', "
        "MESSAGE = 'audit_events is append-only: ' || TG_OP || ' refused'; END $$",
        "CREATE TRIGGER audit_events_append_only BEFORE UPDATE OR DELETE ON audit_events "
        "FOR EACH ROW EXECUTE FUNCTION audit_events_append_only()",
    ],
}


def upgrade():
    dialect = op.get_bind().dialect.name

    # SQLite cannot add a CHECK to a table; batch mode rebuilds each table with it (migrations/env.py
    # turns foreign-key enforcement off around the rebuild and checks the keys afterwards).
    for table, checks in CHECKS.items():
        with op.batch_alter_table(table, schema=None) as batch_op:
            for name, condition in checks:
                batch_op.create_check_constraint(name, condition)

    with op.batch_alter_table('auth_sessions', schema=None) as batch_op:
        batch_op.add_column(sa.Column('device_id', sa.String(length=36), nullable=True))
    with op.batch_alter_table('devices', schema=None) as batch_op:
        batch_op.add_column(sa.Column('user_agent', sa.String(length=300), nullable=True))

    acknowledgements = op.create_table('review_acknowledgements',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('outcome_id', sa.String(length=36), nullable=False),
    sa.Column('due_on', sa.Date(), nullable=False),
    sa.Column('user_id', sa.String(length=36), nullable=True),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['outcome_id'], ['outcomes.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('outcome_id', 'due_on')
    )
    _copy_acknowledgements(acknowledgements)

    for statement in APPEND_ONLY.get(dialect, []):
        op.execute(statement)


def _copy_acknowledgements(acknowledgements):
    """Acknowledgements were audit entries (entity overdue_review, action acknowledge, detail.due_on);
    the first one per outcome and due date becomes a row. The audit entries stay: they are history."""
    bind = op.get_bind()
    audit = sa.table('audit_events', sa.column('id', sa.Integer), sa.column('at', sa.DateTime(timezone=True)),
                     sa.column('user_id', sa.String), sa.column('action', sa.String), sa.column('entity', sa.String),
                     sa.column('entity_id', sa.String), sa.column('detail', sa.JSON))
    outcomes = sa.table('outcomes', sa.column('id', sa.String))
    rows = bind.execute(
        sa.select(audit.c.entity_id, audit.c.detail, audit.c.user_id, audit.c.at)
        .where(audit.c.entity == 'overdue_review', audit.c.action == 'acknowledge',
               audit.c.entity_id.in_(sa.select(outcomes.c.id)))
        .order_by(audit.c.at, audit.c.id)
    ).all()
    seen, copies = set(), []
    for outcome_id, detail, user_id, at in rows:
        due = (detail or {}).get('due_on')
        if not due or (outcome_id, due) in seen:
            continue
        seen.add((outcome_id, due))
        if isinstance(at, str):  # SQLite hands back text when the column type is not reflected
            at = datetime.fromisoformat(at)
        if at.tzinfo is None:
            at = at.replace(tzinfo=timezone.utc)
        copies.append({'outcome_id': outcome_id, 'due_on': date.fromisoformat(due), 'user_id': user_id, 'at': at})
    if copies:
        op.bulk_insert(acknowledgements, copies)


def downgrade():
    dialect = op.get_bind().dialect.name
    if dialect == 'sqlite':
        op.execute("DROP TRIGGER IF EXISTS audit_events_no_update")
        op.execute("DROP TRIGGER IF EXISTS audit_events_no_delete")
    elif dialect == 'postgresql':
        op.execute("DROP TRIGGER IF EXISTS audit_events_append_only ON audit_events")
        op.execute("DROP FUNCTION IF EXISTS audit_events_append_only()")

    op.drop_table('review_acknowledgements')
    with op.batch_alter_table('devices', schema=None) as batch_op:
        batch_op.drop_column('user_agent')
    with op.batch_alter_table('auth_sessions', schema=None) as batch_op:
        batch_op.drop_column('device_id')

    for table, checks in CHECKS.items():
        with op.batch_alter_table(table, schema=None) as batch_op:
            for name, _ in checks:
                batch_op.drop_constraint(name, type_='check')
