"""accounts and pilot teams

Sign-in state on ``app_user`` (failed attempts, lock-out time, last sign-in, a version for
concurrent edits) and ``pilot_member``: the colleagues who may edit a pilot beside its owner.

Revision ID: 0005
Revises: 0004
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("app_user", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("failed_logins", sa.Integer(), nullable=False, server_default="0")
        )
        batch_op.add_column(
            sa.Column("locked_until", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True)
        )
        batch_op.add_column(
            sa.Column("last_login_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True)
        )
        batch_op.add_column(sa.Column("version", sa.Integer(), nullable=False, server_default="1"))
        batch_op.add_column(
            sa.Column(
                "updated_at",
                sqlmodel.sql.sqltypes.UTCDateTime(),
                nullable=False,
                server_default=sa.func.now(),
            )
        )
    # The defaults only filled rows that existed before; the models name every value.
    with op.batch_alter_table("app_user", schema=None) as batch_op:
        batch_op.alter_column("failed_logins", existing_type=sa.Integer(), server_default=None)
        batch_op.alter_column("version", existing_type=sa.Integer(), server_default=None)
        batch_op.alter_column(
            "updated_at", existing_type=sqlmodel.sql.sqltypes.UTCDateTime(), server_default=None
        )

    op.create_table(
        "pilot_member",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("pilot_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["pilot_id"], ["pilot.id"], name=op.f("fk_pilot_member_pilot_id_pilot")
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["app_user.id"], name=op.f("fk_pilot_member_user_id_app_user")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_pilot_member")),
        sa.UniqueConstraint("pilot_id", "user_id", name=op.f("uq_pilot_member_pilot_id")),
    )
    with op.batch_alter_table("pilot_member", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_pilot_member_pilot_id"), ["pilot_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_pilot_member_user_id"), ["user_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("pilot_member", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_pilot_member_user_id"))
        batch_op.drop_index(batch_op.f("ix_pilot_member_pilot_id"))
    op.drop_table("pilot_member")
    with op.batch_alter_table("app_user", schema=None) as batch_op:
        batch_op.drop_column("updated_at")
        batch_op.drop_column("version")
        batch_op.drop_column("last_login_at")
        batch_op.drop_column("locked_until")
        batch_op.drop_column("failed_logins")
