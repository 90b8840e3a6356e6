"""credit event notes sealed at rest, with a keyed hash to recognise a repeat

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-02 12:00:00.000000

"""
from alembic import op
import sqlalchemy as sa

from backend.privacy.sealing import lookup_hasher, open_sealed, sealer


# revision identifiers, used by Alembic.
revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None

# The field name the app seals notes under (backend.credit.models.NOTE_FIELD), fixed here as it was.
NOTE_FIELD = "credit_event.note"
BATCH = 5000

events = sa.table("credit_events", sa.column("id", sa.Integer), sa.column("note", sa.Text),
                  sa.column("note_sealed", sa.LargeBinary), sa.column("note_hash", sa.String))


def _rewrite(select, values) -> None:
    """Page through ``select`` (id first) by id and set ``values(row)`` on each row."""
    connection = op.get_bind()
    last = 0
    while rows := connection.execute(select.where(events.c.id > last).order_by(events.c.id).limit(BATCH)).all():
        connection.execute(events.update().where(events.c.id == sa.bindparam("row_id")),
                           [{"row_id": row[0], **values(row)} for row in rows])
        last = rows[-1][0]


def upgrade():
    with op.batch_alter_table('credit_events', schema=None) as batch_op:
        batch_op.add_column(sa.Column('note_sealed', sa.LargeBinary(), nullable=True))
        batch_op.add_column(sa.Column('note_hash', sa.String(length=64), nullable=True))
    seal, digest = sealer(NOTE_FIELD), lookup_hasher(NOTE_FIELD)
    # No note and an empty one are alike: both become none.
    _rewrite(sa.select(events.c.id, events.c.note).where(events.c.note.is_not(None), events.c.note != ""),
             lambda row: {"note_sealed": seal(row.note), "note_hash": digest(row.note)})
    with op.batch_alter_table('credit_events', schema=None) as batch_op:
        batch_op.drop_column('note')


def downgrade():
    with op.batch_alter_table('credit_events', schema=None) as batch_op:
        batch_op.add_column(sa.Column('note', sa.Text(), nullable=True))
    _rewrite(sa.select(events.c.id, events.c.note_sealed).where(events.c.note_sealed.is_not(None)),
             lambda row: {"note": open_sealed(NOTE_FIELD, row.note_sealed)})
    with op.batch_alter_table('credit_events', schema=None) as batch_op:
        batch_op.drop_column('note_hash')
        batch_op.drop_column('note_sealed')
