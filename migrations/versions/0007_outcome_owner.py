"""Outcomes: who owns the outcome (`owner_kind`, `owner_user_id`, `owner_name`), as actions have.

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-26 22:30:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('outcomes', schema=None) as batch_op:
        batch_op.add_column(sa.Column('owner_kind', sa.String(length=20), nullable=True))
        batch_op.add_column(sa.Column('owner_user_id', sa.String(length=36), nullable=True))
        batch_op.add_column(sa.Column('owner_name', sa.String(length=200), nullable=True))
        batch_op.create_foreign_key('fk_outcomes_owner_user_id_users', 'users', ['owner_user_id'], ['id'])
        batch_op.create_check_constraint('ck_outcomes_owner_kind', "owner_kind IN ('staff', 'person', 'other')")


def downgrade():
    with op.batch_alter_table('outcomes', schema=None) as batch_op:
        batch_op.drop_constraint('ck_outcomes_owner_kind', type_='check')
        batch_op.drop_constraint('fk_outcomes_owner_user_id_users', type_='foreignkey')
        batch_op.drop_column('owner_name')
        batch_op.drop_column('owner_user_id')
        batch_op.drop_column('owner_kind')
