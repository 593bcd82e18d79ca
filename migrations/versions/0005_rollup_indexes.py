"""indexes for the roll-ups (digests, /sales, /team, statements)

Revision ID: 0005
Revises: 0004
Create Date: 2031-03-24 08:00:00

Chosen from EXPLAIN on bench/seed.py's company (10,001 advisors, 400,000 orders, 1,000,000
order lines): SQLite EXPLAIN QUERY PLAN and PostgreSQL 16 EXPLAIN ANALYZE, team of 1,000, one week.
- users.upline_id: the downline CTE's recursive step. SQLite built an AUTOMATIC index on every
  query (22 ms -> 0.9 ms); PostgreSQL seq-scanned users at each of the 17 levels (71 ms -> 10 ms).
- orders (reseller_id, created_at), replacing orders.reseller_id: a team's week read every
  order of the year of each member and filtered on the date (SQLite 460 -> 85 ms); PostgreSQL
  bitmap-scanned the whole company's week and hash-joined the team (169 -> 112 ms overall).
- order_lines (order_id, unit_price_minor, quantity, withdrawn_quantity), replacing
  order_lines.order_id: covering, amounts summed from the index alone (SQLite 85 -> 24 ms;
  PostgreSQL Index Only Scan, 0 heap fetches).
- demos (reseller_id, starts_at), replacing demos.reseller_id: demos held in a week.
- demos.source_demo_id: bookings made at a party (SQLite SCAN + temp B-tree 52 ms, PostgreSQL
  Seq Scan 41 ms -> 0.1 ms on both).
- invites (created_by_id, used_at): recruits in a period (SQLite SCAN 13 ms -> 0; PostgreSQL
  Seq Scan 5.6 -> Index Only Scan 2.4 ms).
Not added: commission_entries (earner_id, period): SQLite then chose it for the monthly
statement and scanned users (265 -> 810 ms); earner_id's own index already serves the totals.
"""

from alembic import op


revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index('ix_users_upline_id', 'users', ['upline_id'])
    op.create_index('ix_orders_reseller_id_created_at', 'orders', ['reseller_id', 'created_at'])
    op.drop_index('ix_orders_reseller_id', table_name='orders')
    op.create_index(
        'ix_order_lines_order_id_amounts', 'order_lines', ['order_id', 'unit_price_minor', 'quantity', 'withdrawn_quantity']
    )
    op.drop_index('ix_order_lines_order_id', table_name='order_lines')
    op.create_index('ix_demos_reseller_id_starts_at', 'demos', ['reseller_id', 'starts_at'])
    op.drop_index('ix_demos_reseller_id', table_name='demos')
    op.create_index('ix_demos_source_demo_id', 'demos', ['source_demo_id'])
    op.create_index('ix_invites_created_by_id_used_at', 'invites', ['created_by_id', 'used_at'])


def downgrade() -> None:
    op.drop_index('ix_invites_created_by_id_used_at', table_name='invites')
    op.drop_index('ix_demos_source_demo_id', table_name='demos')
    op.create_index('ix_demos_reseller_id', 'demos', ['reseller_id'])
    op.drop_index('ix_demos_reseller_id_starts_at', table_name='demos')
    op.create_index('ix_order_lines_order_id', 'order_lines', ['order_id'])
    op.drop_index('ix_order_lines_order_id_amounts', table_name='order_lines')
    op.create_index('ix_orders_reseller_id', 'orders', ['reseller_id'])
    op.drop_index('ix_orders_reseller_id_created_at', table_name='orders')
    op.drop_index('ix_users_upline_id', table_name='users')
