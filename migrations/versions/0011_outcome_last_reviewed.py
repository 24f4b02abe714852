"""Each outcome keeps when its latest review happened (outcomes.last_reviewed_at), set here from the
reviews and kept by every later write of a review (server/domain/outcome_facts.py). A senior
leader's overdue list orders the whole organisation's active outcomes by due date: with the date on
the outcome that is one pass over the outcomes, not a look-up of the latest review for each
(1.0 s at 50,000 people before; bench/list_endpoints.py).

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-27 14:20:00.000000

"""
import sqlalchemy as sa
from alembic import op


# revision identifiers, used by Alembic.
revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None


def upgrade():
    op.add_column('outcomes', sa.Column('last_reviewed_at', sa.DateTime(timezone=True), nullable=True))
    op.execute(
        "UPDATE outcomes SET last_reviewed_at = "
        "(SELECT max(reviews.happened_at) FROM reviews WHERE reviews.outcome_id = outcomes.id)"
    )


def downgrade():
    with op.batch_alter_table('outcomes') as batch:
        batch.drop_column('last_reviewed_at')
