"""monthly monitoring: published months

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-03 10:50:00

"""
from alembic import op
import sqlalchemy as sa

import backend.data.types


# revision identifiers, used by Alembic.
revision = '0016'
down_revision = '0015'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('published_months',
    sa.Column('month', sa.String(length=7), nullable=False),
    sa.Column('as_of', backend.data.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('published_at', backend.data.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('published_by', sa.Integer(), nullable=True),
    sa.Column('document', sa.JSON(), nullable=False),
    sa.CheckConstraint("month LIKE '____-__'", name=op.f('ck_published_months_month')),
    sa.ForeignKeyConstraint(['published_by'], ['staff_members.id'], name=op.f('fk_published_months_published_by_staff_members')),
    sa.PrimaryKeyConstraint('month', name=op.f('pk_published_months'))
    )


def downgrade():
    op.drop_table('published_months')
