"""product names per language: products and the order lines that keep them

Revision ID: 0006
Revises: 0004
Create Date: 2026-11-26 03:10:00

Each product may have a name in it, en, de, es and fr (NULL: the default `name` is shown); an
order line copies them at the sale, as it copies the price. Existing lines keep their one name.
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0004"  # the lead re-chains this after 0005 when merging
branch_labels = None
depends_on = None

LANGUAGES = ("it", "en", "de", "es", "fr")
TABLES = ("products", "order_lines")


def upgrade() -> None:
    for table in TABLES:
        with op.batch_alter_table(table, schema=None) as batch_op:
            for lang in LANGUAGES:
                batch_op.add_column(sa.Column(f"name_{lang}", sa.String(length=120), nullable=True))


def downgrade() -> None:
    for table in TABLES:
        with op.batch_alter_table(table, schema=None) as batch_op:
            for lang in reversed(LANGUAGES):
                batch_op.drop_column(f"name_{lang}")
