"""Outcomes linked to the Care Act's areas of wellbeing (section 1(2)): one row per outcome and area.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-27 09:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None

# The nine areas, as in server/models/wellbeing.py (a migration keeps its own copy: it must build the
# same table whatever the code says later).
AREAS = ('dignity', 'health', 'protection', 'control', 'participation', 'social_economic', 'relationships',
         'accommodation', 'contribution')


def upgrade():
    op.create_table('outcome_wellbeing_areas',
    sa.Column('outcome_id', sa.String(length=36), nullable=False),
    sa.Column('area', sa.String(length=40), nullable=False),
    sa.CheckConstraint('area IN (' + ', '.join(f"'{a}'" for a in AREAS) + ')', name='ck_outcome_wellbeing_areas_area'),
    sa.ForeignKeyConstraint(['outcome_id'], ['outcomes.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('outcome_id', 'area')
    )
    with op.batch_alter_table('outcome_wellbeing_areas', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_outcome_wellbeing_areas_area'), ['area'], unique=False)


def downgrade():
    with op.batch_alter_table('outcome_wellbeing_areas', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_outcome_wellbeing_areas_area'))
    op.drop_table('outcome_wellbeing_areas')
