"""query records name readers as the access rules do, and departments never by a clerk's name

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-02 11:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None

records = sa.table("query_records", sa.column("actor_kind", sa.String), sa.column("actor_id", sa.Integer),
                   sa.column("actor_role", sa.String), sa.column("actor_label", sa.String))
staff = sa.table("staff_members", sa.column("id", sa.Integer), sa.column("source", sa.String))


def upgrade():
    # A bank's server reads as the access role it holds; a bank's cashier as an operator, like any other.
    op.execute(records.update().where(records.c.actor_role == "bank", records.c.actor_kind == "apikey")
               .values(actor_role="verifier_system"))
    op.execute(records.update().where(records.c.actor_role == "bank", records.c.actor_kind == "wechat")
               .values(actor_role="operator"))
    # A department was shown by the clerk's display name: it is shown by its source name instead.
    source = sa.select(staff.c.source).where(staff.c.id == records.c.actor_id).scalar_subquery()
    op.execute(records.update().where(records.c.actor_role == "department", records.c.actor_kind == "staff")
               .values(actor_label=sa.func.coalesce(source, "department")))


def downgrade():
    # Which clerk's name a record showed is not brought back; the bank role is.
    op.execute(records.update().where(records.c.actor_role == "verifier_system").values(actor_role="bank"))
