"""lessons library and sharing

``lesson`` with its ``lesson_tag`` and ``lesson_evidence`` rows (the learning library); on
``pilot`` the intervention type that pools pilots and ``shared_at``/``shared_by`` for sharing
with other organisations. On PostgreSQL a GIN index on ``to_tsvector('dutch', search_text)``
serves full-text search with Dutch stemming; SQLite searches the same column with LIKE.

Revision ID: 0006
Revises: 0005
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op


revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The expression must be the one tracker.services.library searches with, or PostgreSQL will not
# use the index.
SEARCH_INDEX = (
    "CREATE INDEX ix_lesson_search ON lesson USING gin (to_tsvector('dutch', search_text))"
)


def upgrade() -> None:
    op.create_table(
        "lesson",
        sa.Column("statement", sqlmodel.sql.sqltypes.AutoString(length=500), nullable=False),
        sa.Column("explanation", sqlmodel.sql.sqltypes.AutoString(length=4000), nullable=False),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("organisation_id", sa.Integer(), nullable=False),
        sa.Column("pilot_id", sa.Integer(), nullable=False),
        sa.Column("search_text", sa.Text(), nullable=False),
        sa.Column("created_by", sqlmodel.sql.sqltypes.AutoString(length=320), nullable=False),
        sa.Column("created_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("updated_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisation.id"],
            name=op.f("fk_lesson_organisation_id_organisation"),
        ),
        sa.ForeignKeyConstraint(["pilot_id"], ["pilot.id"], name=op.f("fk_lesson_pilot_id_pilot")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_lesson")),
    )
    with op.batch_alter_table("lesson", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_lesson_organisation_id"), ["organisation_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_lesson_pilot_id"), ["pilot_id"], unique=False)

    op.create_table(
        "lesson_evidence",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("lesson_id", sa.Integer(), nullable=False),
        sa.Column("pilot_id", sa.Integer(), nullable=False),
        sa.Column("hypothesis_id", sa.Integer(), nullable=True),
        sa.Column("stance", sa.String(length=12), nullable=False),
        sa.Column("note", sqlmodel.sql.sqltypes.AutoString(length=2000), nullable=False),
        sa.Column("added_by", sqlmodel.sql.sqltypes.AutoString(length=320), nullable=False),
        sa.Column("added_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["hypothesis_id"],
            ["hypothesis.id"],
            name=op.f("fk_lesson_evidence_hypothesis_id_hypothesis"),
        ),
        sa.ForeignKeyConstraint(
            ["lesson_id"], ["lesson.id"], name=op.f("fk_lesson_evidence_lesson_id_lesson")
        ),
        sa.ForeignKeyConstraint(
            ["pilot_id"], ["pilot.id"], name=op.f("fk_lesson_evidence_pilot_id_pilot")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_lesson_evidence")),
    )
    with op.batch_alter_table("lesson_evidence", schema=None) as batch_op:
        batch_op.create_index(
            "ix_lesson_evidence_lesson_pilot", ["lesson_id", "pilot_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_lesson_evidence_pilot_id"), ["pilot_id"], unique=False)

    op.create_table(
        "lesson_tag",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("lesson_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("value", sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
        sa.ForeignKeyConstraint(
            ["lesson_id"], ["lesson.id"], name=op.f("fk_lesson_tag_lesson_id_lesson")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_lesson_tag")),
        sa.UniqueConstraint("lesson_id", "kind", "value", name=op.f("uq_lesson_tag_lesson_id")),
    )
    with op.batch_alter_table("lesson_tag", schema=None) as batch_op:
        batch_op.create_index(
            "ix_lesson_tag_kind_value", ["kind", "value", "lesson_id"], unique=False
        )

    with op.batch_alter_table("pilot", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "intervention_type",
                sqlmodel.sql.sqltypes.AutoString(length=60),
                nullable=False,
                server_default="",
            )
        )
        batch_op.add_column(
            sa.Column("shared_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True)
        )
        batch_op.add_column(
            sa.Column(
                "shared_by",
                sqlmodel.sql.sqltypes.AutoString(length=320),
                nullable=False,
                server_default="",
            )
        )
        batch_op.create_index("ix_pilot_intervention_type", ["intervention_type"], unique=False)
        batch_op.create_index(batch_op.f("ix_pilot_shared_at"), ["shared_at"], unique=False)
    # The defaults only filled rows that existed before; the models name every value.
    with op.batch_alter_table("pilot", schema=None) as batch_op:
        batch_op.alter_column(
            "intervention_type",
            existing_type=sqlmodel.sql.sqltypes.AutoString(length=60),
            server_default=None,
        )
        batch_op.alter_column(
            "shared_by",
            existing_type=sqlmodel.sql.sqltypes.AutoString(length=320),
            server_default=None,
        )

    if op.get_bind().dialect.name == "postgresql":
        op.execute(SEARCH_INDEX)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP INDEX IF EXISTS ix_lesson_search")
    with op.batch_alter_table("pilot", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_pilot_shared_at"))
        batch_op.drop_index("ix_pilot_intervention_type")
        batch_op.drop_column("shared_by")
        batch_op.drop_column("shared_at")
        batch_op.drop_column("intervention_type")

    with op.batch_alter_table("lesson_tag", schema=None) as batch_op:
        batch_op.drop_index("ix_lesson_tag_kind_value")

    op.drop_table("lesson_tag")
    with op.batch_alter_table("lesson_evidence", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_lesson_evidence_pilot_id"))
        batch_op.drop_index("ix_lesson_evidence_lesson_pilot")

    op.drop_table("lesson_evidence")
    with op.batch_alter_table("lesson", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_lesson_pilot_id"))
        batch_op.drop_index(batch_op.f("ix_lesson_organisation_id"))

    op.drop_table("lesson")
