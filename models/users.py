"""People: admins, managers and resellers (the sales force) and hosts, who are plain users."""

from __future__ import annotations

import enum
import secrets
from collections.abc import Iterable
from datetime import datetime, timedelta

from sqlalchemy import BigInteger, Boolean, ForeignKey, Index, String, bindparam, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, DomainError, UTCDateTime, enum_column, rowcount
from models.text import clean_text

INVITE_LIFETIME = timedelta(days=7)
NAME_MAX = 64


class Role(enum.StrEnum):
    ADMIN = "admin"
    MANAGER = "manager"
    RESELLER = "reseller"


SALES_ROLES = (Role.ADMIN, Role.MANAGER, Role.RESELLER)


class User(Base):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    telegram_id: Mapped[int] = mapped_column(BigInteger, unique=True)
    # None: a host or a guest, known to the bot but not part of the sales force.
    role: Mapped[Role | None] = mapped_column(enum_column(Role, length=16))
    display_name: Mapped[str] = mapped_column(String(NAME_MAX))
    locale: Mapped[str] = mapped_column(String(8))
    timezone: Mapped[str] = mapped_column(String(64))
    upline_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)  # the downline CTE
    onboarded: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # Set when Telegram answers 403 (the person blocked the bot): nothing more is sent to them.
    unreachable_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # A deactivated advisor keeps their history but has no access; their team moved up a level.
    deactivated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    @property
    def is_seller(self) -> bool:
        return self.role in SALES_ROLES and self.deactivated_at is None

    @property
    def is_manager(self) -> bool:
        return self.role in (Role.MANAGER, Role.ADMIN) and self.deactivated_at is None

    @property
    def is_admin(self) -> bool:
        return self.role == Role.ADMIN


class Invite(Base):
    __tablename__ = "invites"
    __table_args__ = (Index("ix_invites_created_by_id_used_at", "created_by_id", "used_at"),)  # recruits in a period

    id: Mapped[int] = mapped_column(primary_key=True)
    token: Mapped[str] = mapped_column(String(32), unique=True)
    created_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    used_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


async def unreachable_among(session: AsyncSession, user_ids: Iterable[int | None]) -> set[int]:
    """Which of these people the bot can no longer write to (they blocked it, or left)."""
    wanted = {user_id for user_id in user_ids if user_id is not None}
    if not wanted:
        return set()
    found = await session.scalars(select(User.id).where(User.id.in_(wanted), User.unreachable_at.is_not(None)))
    return set(found)


# Built once: every update looks its sender up, and a statement built anew must be traversed
# again for its cache key before SQLAlchemy finds the compiled form.
_BY_TELEGRAM_ID = select(User).where(User.telegram_id == bindparam("telegram_id"))


async def user_by_telegram_id(session: AsyncSession, telegram_id: int) -> User | None:
    found: User | None = await session.scalar(_BY_TELEGRAM_ID, {"telegram_id": telegram_id})
    return found


async def get_or_create_user(
    session: AsyncSession, *, telegram_id: int, name: str, locale: str, timezone: str, now: datetime
) -> User:
    user = await user_by_telegram_id(session, telegram_id)
    if user is None:
        user = User(
            telegram_id=telegram_id,
            display_name=clean_name(name) or str(telegram_id),
            locale=locale,
            timezone=timezone,
            created_at=now,
        )
        session.add(user)
        await session.flush()
    return user


async def ensure_admin(session: AsyncSession, *, user: User) -> bool:
    """Makes a configured admin an admin; True when that changed something."""
    if user.role == Role.ADMIN:
        return False
    user.role = Role.ADMIN
    await session.flush()
    return True


def clean_name(name: str) -> str:
    return clean_text(name)[:NAME_MAX]


def validate_display_name(name: str) -> str:
    cleaned = clean_text(name)
    if not cleaned:
        raise DomainError("name_empty")
    if len(cleaned) > NAME_MAX:
        raise DomainError("name_too_long", limit=NAME_MAX)
    return cleaned


async def create_invite(session: AsyncSession, *, inviter: User, now: datetime) -> Invite:
    if not inviter.is_seller:
        raise DomainError("not_a_seller")
    invite = Invite(
        token=secrets.token_urlsafe(16),
        created_by_id=inviter.id,
        created_at=now,
        expires_at=now + INVITE_LIFETIME,
    )
    session.add(invite)
    await session.flush()
    return invite


async def redeem_invite(session: AsyncSession, *, token: str, user: User, now: datetime) -> User:
    """The person who opens an invite becomes a reseller under the inviter; once, before expiry."""
    invite = await session.scalar(select(Invite).where(Invite.token == token))
    if invite is None:
        raise DomainError("invite_unknown")
    if user.is_seller:
        raise DomainError("invite_already_seller")
    if invite.used_at is not None:
        raise DomainError("invite_used")
    if invite.expires_at <= now:
        raise DomainError("invite_expired")
    # The conditional update is what makes "usable once" hold when two people race for it.
    claimed = await session.execute(
        update(Invite).where(Invite.id == invite.id, Invite.used_at.is_(None)).values(used_by_id=user.id, used_at=now)
    )
    if rowcount(claimed) != 1:
        raise DomainError("invite_used")
    user.role = Role.RESELLER
    user.upline_id = invite.created_by_id
    await session.flush()
    return user


async def save_profile(
    session: AsyncSession,
    *,
    user: User,
    locale: str | None = None,
    timezone: str | None = None,
    display_name: str | None = None,
) -> User:
    if locale is not None:
        user.locale = locale
    if timezone is not None:
        user.timezone = timezone
    if display_name is not None:
        user.display_name = validate_display_name(display_name)
    await session.flush()
    return user


async def names_of(session: AsyncSession, user_ids: Iterable[int]) -> dict[int, str]:
    rows = await session.execute(select(User.id, User.display_name).where(User.id.in_(set(user_ids))))
    return {user_id: name for user_id, name in rows.tuples().all()}


async def get_user(session: AsyncSession, user_id: int) -> User | None:
    return await session.get(User, user_id)
