"""online orders: order requests and their lines, advisors' shop codes, order channel and source

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-26 03:30:00

Chained after 0006 (product names); 0008 (party close) follows it.
"""

from alembic import op
import sqlalchemy as sa
import models.base


revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('shop_codes',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=16), nullable=False),
    sa.Column('created_at', models.base.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_shop_codes_user_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_shop_codes')),
    sa.UniqueConstraint('code', name=op.f('uq_shop_codes_code')),
    sa.UniqueConstraint('user_id', name=op.f('uq_shop_codes_user_id'))
    )
    op.create_table('shop_code_attempts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('at', models.base.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_shop_code_attempts_user_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_shop_code_attempts'))
    )
    op.create_index(op.f('ix_shop_code_attempts_user_id'), 'shop_code_attempts', ['user_id'], unique=False)
    with op.batch_alter_table('orders', schema=None) as batch_op:
        batch_op.add_column(sa.Column('contract', sa.Enum('off_premises', 'distance', name='contract', native_enum=False, length=16), nullable=False, server_default='off_premises'))
        batch_op.add_column(sa.Column('source', sa.Enum('demo', 'direct', 'party_link', 'personal_link', name='ordersource', native_enum=False, length=16), nullable=False, server_default='demo'))
        batch_op.add_column(sa.Column('delivered_at', models.base.UTCDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('paid_at', models.base.UTCDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('payment_charge_id', sa.String(length=128), nullable=True))
    op.execute("UPDATE orders SET source = 'direct' WHERE demo_id IS NULL")
    with op.batch_alter_table('orders', schema=None) as batch_op:
        batch_op.alter_column('contract', server_default=None)
        batch_op.alter_column('source', server_default=None)
    op.create_table('order_requests',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('customer_user_id', sa.Integer(), nullable=False),
    sa.Column('reseller_id', sa.Integer(), nullable=False),
    sa.Column('demo_id', sa.Integer(), nullable=True),
    sa.Column('source', sa.Enum('demo', 'direct', 'party_link', 'personal_link', name='ordersource', native_enum=False, length=16), nullable=False),
    sa.Column('status', sa.Enum('basket', 'placed', 'accepted', 'refused', name='requeststatus', native_enum=False, length=16), nullable=False),
    sa.Column('customer_name', sa.String(length=64), nullable=True),
    sa.Column('delivery', sa.Enum('collect', 'address', name='delivery', native_enum=False, length=16), nullable=True),
    sa.Column('address', sa.Text(), nullable=True),
    sa.Column('changed_at', models.base.UTCDateTime(timezone=True), nullable=True),
    sa.Column('order_id', sa.Integer(), nullable=True),
    sa.Column('created_at', models.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', models.base.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['customer_user_id'], ['users.id'], name=op.f('fk_order_requests_customer_user_id_users')),
    sa.ForeignKeyConstraint(['demo_id'], ['demos.id'], name=op.f('fk_order_requests_demo_id_demos')),
    sa.ForeignKeyConstraint(['order_id'], ['orders.id'], name=op.f('fk_order_requests_order_id_orders')),
    sa.ForeignKeyConstraint(['reseller_id'], ['users.id'], name=op.f('fk_order_requests_reseller_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_order_requests'))
    )
    op.create_index(op.f('ix_order_requests_customer_user_id'), 'order_requests', ['customer_user_id'], unique=False)
    op.create_index(op.f('ix_order_requests_demo_id'), 'order_requests', ['demo_id'], unique=False)
    op.create_index(op.f('ix_order_requests_reseller_id'), 'order_requests', ['reseller_id'], unique=False)
    op.create_table('order_request_lines',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('request_id', sa.Integer(), nullable=False),
    sa.Column('product_id', sa.Integer(), nullable=False),
    sa.Column('quantity', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['product_id'], ['products.id'], name=op.f('fk_order_request_lines_product_id_products')),
    sa.ForeignKeyConstraint(['request_id'], ['order_requests.id'], name=op.f('fk_order_request_lines_request_id_order_requests')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_order_request_lines'))
    )
    op.create_index(op.f('ix_order_request_lines_request_id'), 'order_request_lines', ['request_id'], unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_order_request_lines_request_id'), table_name='order_request_lines')
    op.drop_table('order_request_lines')
    op.drop_index(op.f('ix_order_requests_reseller_id'), table_name='order_requests')
    op.drop_index(op.f('ix_order_requests_demo_id'), table_name='order_requests')
    op.drop_index(op.f('ix_order_requests_customer_user_id'), table_name='order_requests')
    op.drop_table('order_requests')
    with op.batch_alter_table('orders', schema=None) as batch_op:
        batch_op.drop_column('payment_charge_id')
        batch_op.drop_column('paid_at')
        batch_op.drop_column('delivered_at')
        batch_op.drop_column('source')
        batch_op.drop_column('contract')
    op.drop_index(op.f('ix_shop_code_attempts_user_id'), table_name='shop_code_attempts')
    op.drop_table('shop_code_attempts')
    op.drop_table('shop_codes')
