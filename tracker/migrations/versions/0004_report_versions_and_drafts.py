"""report versions and drafts

Published lessons reports get a number per pilot (1, 2, …; unique with the pilot) and their
content becomes TEXT (the frozen report model as JSON can be long). ``report_draft`` holds
what the officer wrote for the next publication, one versioned row per pilot.

Revision ID: 0004
Revises: 0003
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("report", schema=None) as batch_op:
        batch_op.add_column(sa.Column("number", sa.Integer(), nullable=False, server_default="1"))
        batch_op.alter_column(
            "content", existing_type=sqlmodel.sql.sqltypes.AutoString(), type_=sa.Text()
        )
        batch_op.create_unique_constraint("uq_report_pilot_number", ["pilot_id", "number"])
    # The default only numbered rows that existed before; new rows always name their number.
    with op.batch_alter_table("report", schema=None) as batch_op:
        batch_op.alter_column("number", existing_type=sa.Integer(), server_default=None)

    op.create_table(
        "report_draft",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("pilot_id", sa.Integer(), nullable=False),
        sa.Column("content", sa.Text(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("updated_by", sqlmodel.sql.sqltypes.AutoString(length=320), nullable=False),
        sa.Column("updated_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["pilot_id"], ["pilot.id"], name=op.f("fk_report_draft_pilot_id_pilot")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_report_draft")),
        sa.UniqueConstraint("pilot_id", name=op.f("uq_report_draft_pilot_id")),
    )


def downgrade() -> None:
    op.drop_table("report_draft")
    with op.batch_alter_table("report", schema=None) as batch_op:
        batch_op.drop_constraint("uq_report_pilot_number", type_="unique")
        batch_op.alter_column(
            "content", existing_type=sa.Text(), type_=sqlmodel.sql.sqltypes.AutoString()
        )
        batch_op.drop_column("number")
