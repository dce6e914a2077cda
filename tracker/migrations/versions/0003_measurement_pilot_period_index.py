"""measurement index on (pilot_id, period)

The index on (pilot_id, measure_id, period) repeated the leading columns of the unique
constraint on (pilot_id, measure_id, period, area, group); it is replaced by one on
(pilot_id, period), which finds a pilot's latest period in one seek for the portfolio
overview. Imports keep the same number of indexes to maintain.

Revision ID: 0003
Revises: 0002
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("measurement", schema=None) as batch_op:
        batch_op.drop_index("ix_measurement_pilot_measure_period")
        batch_op.create_index("ix_measurement_pilot_period", ["pilot_id", "period"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("measurement", schema=None) as batch_op:
        batch_op.drop_index("ix_measurement_pilot_period")
        batch_op.create_index(
            "ix_measurement_pilot_measure_period", ["pilot_id", "measure_id", "period"], unique=False
        )
