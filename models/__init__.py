"""The domain: entities and the rules on them. No Telegram here (tests/test_layers.py)."""

from models import botstate, catalog, commissions, compliance, demos, guests, notifications, orders, shop, users  # noqa: F401  (registers every table on Base.metadata)
from models.base import Base, DomainError

__all__ = ["Base", "DomainError"]
