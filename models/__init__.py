"""The domain: entities and the rules on them. No Telegram here (tests/test_layers.py)."""

from models.base import Base, DomainError
from models import botstate, catalog, commissions, compliance, demos, guests, notifications, orders, users  # noqa: F401  (registers every table on Base.metadata)

__all__ = ["Base", "DomainError"]
