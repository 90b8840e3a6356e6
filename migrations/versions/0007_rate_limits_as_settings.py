"""rate limits as settings: the two limits that were settings join the others under limits.*

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-02 10:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None

RENAMED = {"binding.daily_attempts": "limits.binding_per_day", "reports.daily_limit": "limits.reports_per_day"}

settings = sa.table("setting_values", sa.column("key", sa.String))


def _rename(names: dict) -> None:
    # An admin's value keeps counting under the new name (the audit trail, append-only, keeps the old).
    for old, new in names.items():
        op.execute(settings.update().where(settings.c.key == old).values(key=new))


def upgrade():
    _rename(RENAMED)


def downgrade():
    _rename({new: old for old, new in RENAMED.items()})
