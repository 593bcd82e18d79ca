"""The domain: entities and the rules on them. No Telegram here (tests/test_layers.py)."""

from models import (  # noqa: F401  (registers every table on Base.metadata)
    botstate,
    catalog,
    commissions,
    compliance,
    demos,
    guests,
    notifications,
    orders,
    party_rewards,
    users,
)
from models.base import Base, DomainError

__all__ = ["Base", "DomainError"]
