"""Governance: escalations (exactly once per review and rule, or per outcome, due date and rule),
supervision records and their entries, care-plan re-audits and their per-outcome answers, and the
learning log.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-26 19:01:59.119477

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('care_plan_audits',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('organisation_id', sa.String(length=36), nullable=False),
    sa.Column('service_id', sa.String(length=36), nullable=False),
    sa.Column('person_id', sa.String(length=36), nullable=False),
    sa.Column('audited_on', sa.Date(), nullable=False),
    sa.Column('audited_by', sa.String(length=36), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['audited_by'], ['users.id'], ),
    sa.ForeignKeyConstraint(['organisation_id'], ['organisations.id'], ),
    sa.ForeignKeyConstraint(['person_id'], ['people.id'], ),
    sa.ForeignKeyConstraint(['service_id'], ['services.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('care_plan_audits', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_care_plan_audits_organisation_id'), ['organisation_id'], unique=False)
        batch_op.create_index('ix_care_plan_audits_person_on', ['person_id', 'audited_on'], unique=False)
        batch_op.create_index(batch_op.f('ix_care_plan_audits_service_id'), ['service_id'], unique=False)

    op.create_table('supervisions',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('organisation_id', sa.String(length=36), nullable=False),
    sa.Column('user_id', sa.String(length=36), nullable=False),
    sa.Column('supervisor_id', sa.String(length=36), nullable=False),
    sa.Column('month', sa.Date(), nullable=False),
    sa.Column('held_on', sa.Date(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['organisation_id'], ['organisations.id'], ),
    sa.ForeignKeyConstraint(['supervisor_id'], ['users.id'], ),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('user_id', 'month', name='uq_supervisions_user_month')
    )
    with op.batch_alter_table('supervisions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_supervisions_organisation_id'), ['organisation_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_supervisions_user_id'), ['user_id'], unique=False)

    op.create_table('care_plan_audit_outcomes',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('audit_id', sa.String(length=36), nullable=False),
    sa.Column('outcome_id', sa.String(length=36), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('still_relevant', sa.Boolean(), nullable=False),
    sa.Column('person_led', sa.Boolean(), nullable=False),
    sa.Column('person_can_describe', sa.Boolean(), nullable=False),
    sa.Column('note', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['audit_id'], ['care_plan_audits.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['outcome_id'], ['outcomes.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('audit_id', 'outcome_id', name='uq_care_plan_audit_outcomes_outcome')
    )
    with op.batch_alter_table('care_plan_audit_outcomes', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_care_plan_audit_outcomes_outcome_id'), ['outcome_id'], unique=False)

    op.create_table('learning_entries',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('organisation_id', sa.String(length=36), nullable=False),
    sa.Column('service_id', sa.String(length=36), nullable=False),
    sa.Column('recorded_on', sa.Date(), nullable=False),
    sa.Column('learned', sa.Text(), nullable=False),
    sa.Column('decision', sa.Text(), nullable=False),
    sa.Column('source_kind', sa.String(length=20), nullable=True),
    sa.Column('source_id', sa.String(length=36), nullable=True),
    sa.Column('change_id', sa.String(length=36), nullable=True),
    sa.Column('shared_with_commissioners', sa.Boolean(), nullable=False),
    sa.Column('created_by', sa.String(length=36), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['change_id'], ['changes.id'], ),
    sa.ForeignKeyConstraint(['created_by'], ['users.id'], ),
    sa.ForeignKeyConstraint(['organisation_id'], ['organisations.id'], ),
    sa.ForeignKeyConstraint(['service_id'], ['services.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.CheckConstraint("source_kind IS NULL OR source_kind IN ('theme', 'change', 'escalation', 'dashboard', 'audit')", name='ck_learning_entries_source_kind')
    )
    with op.batch_alter_table('learning_entries', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_learning_entries_change_id'), ['change_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_learning_entries_organisation_id'), ['organisation_id'], unique=False)
        batch_op.create_index('ix_learning_entries_service_on', ['service_id', 'recorded_on'], unique=False)

    op.create_table('supervision_entries',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('supervision_id', sa.String(length=36), nullable=False),
    sa.Column('person_id', sa.String(length=36), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('what_changed', sa.Text(), nullable=False),
    sa.Column('next_step', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['person_id'], ['people.id'], ),
    sa.ForeignKeyConstraint(['supervision_id'], ['supervisions.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('supervision_id', 'person_id', name='uq_supervision_entries_person')
    )
    with op.batch_alter_table('supervision_entries', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_supervision_entries_person_id'), ['person_id'], unique=False)

    op.create_table('escalations',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('organisation_id', sa.String(length=36), nullable=False),
    sa.Column('service_id', sa.String(length=36), nullable=False),
    sa.Column('person_id', sa.String(length=36), nullable=False),
    sa.Column('outcome_id', sa.String(length=36), nullable=False),
    sa.Column('rule', sa.String(length=20), nullable=False),
    sa.Column('reasons', sa.JSON(), nullable=False),
    sa.Column('review_id', sa.String(length=36), nullable=True),
    sa.Column('review_ids', sa.JSON(), nullable=False),
    sa.Column('due_on', sa.Date(), nullable=True),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('raised_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('acknowledged_by', sa.String(length=36), nullable=True),
    sa.Column('acknowledged_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('answer', sa.Text(), nullable=True),
    sa.Column('answered_by', sa.String(length=36), nullable=True),
    sa.Column('answered_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('change_id', sa.String(length=36), nullable=True),
    sa.ForeignKeyConstraint(['acknowledged_by'], ['users.id'], ),
    sa.ForeignKeyConstraint(['answered_by'], ['users.id'], ),
    sa.ForeignKeyConstraint(['change_id'], ['changes.id'], ),
    sa.ForeignKeyConstraint(['organisation_id'], ['organisations.id'], ),
    sa.ForeignKeyConstraint(['outcome_id'], ['outcomes.id'], ),
    sa.ForeignKeyConstraint(['person_id'], ['people.id'], ),
    sa.ForeignKeyConstraint(['review_id'], ['reviews.id'], ),
    sa.ForeignKeyConstraint(['service_id'], ['services.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('outcome_id', 'due_on', 'rule', name='uq_escalations_outcome_due_rule'),
    sa.UniqueConstraint('review_id', 'rule', name='uq_escalations_review_rule'),
    sa.CheckConstraint("rule IN ('deterioration', 'stagnation', 'overdue')", name='ck_escalations_rule'),
    sa.CheckConstraint("status IN ('open', 'acknowledged', 'answered')", name='ck_escalations_status')
    )
    with op.batch_alter_table('escalations', schema=None) as batch_op:
        batch_op.create_index('ix_escalations_org_raised', ['organisation_id', 'raised_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_escalations_outcome_id'), ['outcome_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_escalations_person_id'), ['person_id'], unique=False)
        batch_op.create_index('ix_escalations_service_status', ['service_id', 'status'], unique=False)



def downgrade():
    with op.batch_alter_table('escalations', schema=None) as batch_op:
        batch_op.drop_index('ix_escalations_service_status')
        batch_op.drop_index(batch_op.f('ix_escalations_person_id'))
        batch_op.drop_index(batch_op.f('ix_escalations_outcome_id'))
        batch_op.drop_index('ix_escalations_org_raised')

    op.drop_table('escalations')
    with op.batch_alter_table('supervision_entries', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_supervision_entries_person_id'))

    op.drop_table('supervision_entries')
    with op.batch_alter_table('learning_entries', schema=None) as batch_op:
        batch_op.drop_index('ix_learning_entries_service_on')
        batch_op.drop_index(batch_op.f('ix_learning_entries_organisation_id'))
        batch_op.drop_index(batch_op.f('ix_learning_entries_change_id'))

    op.drop_table('learning_entries')
    with op.batch_alter_table('care_plan_audit_outcomes', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_care_plan_audit_outcomes_outcome_id'))

    op.drop_table('care_plan_audit_outcomes')
    with op.batch_alter_table('supervisions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_supervisions_user_id'))
        batch_op.drop_index(batch_op.f('ix_supervisions_organisation_id'))

    op.drop_table('supervisions')
    with op.batch_alter_table('care_plan_audits', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_care_plan_audits_service_id'))
        batch_op.drop_index('ix_care_plan_audits_person_on')
        batch_op.drop_index(batch_op.f('ix_care_plan_audits_organisation_id'))

    op.drop_table('care_plan_audits')
