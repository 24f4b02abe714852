"""The person's own "How happy are you with your support?" on a feedback conversation, and complaints
and compliments as service events (the domain article's Example Two).

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-26 22:40:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None

# A migration keeps its own copies of the value lists: it must build the same schema whatever the code says later.
OLD_KINDS = ('restrictive_practice', 'hospital_admission', 'community_participation', 'employment')
NEW_KINDS = OLD_KINDS + ('complaint', 'compliment')


def _one_of(column, values):
    return f"{column} IN (" + ", ".join(f"'{v}'" for v in values) + ")"


def upgrade():
    # SQLite cannot add or change a CHECK in place: batch mode rebuilds the table (migrations/env.py
    # turns foreign-key enforcement off around the rebuild and checks the keys afterwards).
    with op.batch_alter_table('feedback_conversations', schema=None) as batch_op:
        batch_op.add_column(sa.Column('satisfaction', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('satisfaction_rated_by', sa.String(length=20), nullable=True))
        batch_op.create_check_constraint('ck_feedback_conversations_satisfaction', 'satisfaction >= 1 AND satisfaction <= 5')
        batch_op.create_check_constraint('ck_feedback_conversations_satisfaction_rated_by',
                                         _one_of('satisfaction_rated_by', ('person', 'together')))
    with op.batch_alter_table('service_events', schema=None) as batch_op:
        batch_op.drop_constraint('ck_service_events_kind', type_='check')
        batch_op.create_check_constraint('ck_service_events_kind', _one_of('kind', NEW_KINDS))


def downgrade():
    op.execute("DELETE FROM service_events WHERE kind IN ('complaint', 'compliment')")
    with op.batch_alter_table('service_events', schema=None) as batch_op:
        batch_op.drop_constraint('ck_service_events_kind', type_='check')
        batch_op.create_check_constraint('ck_service_events_kind', _one_of('kind', OLD_KINDS))
    with op.batch_alter_table('feedback_conversations', schema=None) as batch_op:
        batch_op.drop_constraint('ck_feedback_conversations_satisfaction_rated_by', type_='check')
        batch_op.drop_constraint('ck_feedback_conversations_satisfaction', type_='check')
        batch_op.drop_column('satisfaction_rated_by')
        batch_op.drop_column('satisfaction')
