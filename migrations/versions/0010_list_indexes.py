"""Indexes for the first page of two lists at the scale of a large provider: the audit log, an
organisation's entries newest first (by organisation, time and id), so a page walks the index and
stops instead of sorting the organisation's whole log; and feedback conversations by person, time
and id (with whether they were reviewed, for the manager's queue), so a page's keys are sorted from
the index alone (domain/feedback.list_feedback). Checked
with EXPLAIN QUERY PLAN (SQLite) on a generated organisation (bench/make_org.py,
bench/list_endpoints.py).

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-27 02:25:00.000000

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None

INDEXES = (
    ('ix_audit_events_organisation_at', 'audit_events', ['organisation_id', 'at', 'id']),
    ('ix_feedback_conversations_person_happened', 'feedback_conversations', ['person_id', 'happened_at', 'id', 'reviewed_at']),
)


def upgrade():
    for name, table, columns in INDEXES:
        op.create_index(name, table, columns, unique=False)


def downgrade():
    for name, table, _ in INDEXES:
        op.drop_index(name, table_name=table)
