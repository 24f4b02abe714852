"""Indexes for the hot read paths at the scale of a large provider: an outcome's latest review and
history (reviews by outcome and date), a service's reviews and events in a quarter (by person and
date), and a user's inbox (notifications by user and time). Checked with EXPLAIN (PostgreSQL) and
EXPLAIN QUERY PLAN (SQLite) on a generated organisation (bench/make_org.py).

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-26 22:40:00.000000

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None

INDEXES = (
    ('ix_reviews_outcome_happened', 'reviews', ['outcome_id', 'happened_at']),
    ('ix_reviews_person_happened', 'reviews', ['person_id', 'happened_at']),
    ('ix_service_events_person_happened', 'service_events', ['person_id', 'happened_at']),
    ('ix_notifications_user_created', 'notifications', ['user_id', 'created_at']),
)


def upgrade():
    for name, table, columns in INDEXES:
        op.create_index(name, table, columns, unique=False)


def downgrade():
    for name, table, _ in INDEXES:
        op.drop_index(name, table_name=table)
