"""Devices: each browser a person signs in from is known by a random token in a cookie.

Only the token's SHA-256 is stored, so a database leak gives nobody a device.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from trip_companion import profile
from trip_companion.models import Device, DeviceStatus, Role, School, User, utcnow

# Passcodes are short-lived and tried at most five times; argon2 keeps a leaked row useless.
_hasher = PasswordHasher(time_cost=2, memory_cost=19456, parallelism=1)


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def describe(user_agent: str) -> str:
    """A human name for the device from its user agent, e.g. "Chrome on Android"."""
    from ua_parser import parse

    result = parse(user_agent or "")
    browser = result.user_agent.family if result.user_agent else "Browser"
    system = result.os.family if result.os else "unknown system"
    if result.device and result.device.family not in (None, "Other", "Generic Smartphone"):
        system = f"{system} ({result.device.family})"
    return f"{browser} on {system}"[:200]


def find(db: Session, token: str | None) -> Device | None:
    if not token:
        return None
    return db.scalar(select(Device).where(Device.token_hash == token_hash(token)))


def for_login(db: Session, user: User, token: str | None, user_agent: str,
              now: datetime | None = None) -> tuple[Device, str, bool]:
    """The device this login comes from: the known one, or a new pending one (R13).

    Returns (device, token, created). The very first headteacher device of a school is
    trusted at once: somebody has to be able to approve the rest.
    """
    device = find(db, token)
    now = now or utcnow()
    if device is not None and device.user_id == user.id and device.status != DeviceStatus.REVOKED:
        device.last_seen_at = now
        return device, token, False
    status = DeviceStatus.TRUSTED if _first_head_device(db, user) else DeviceStatus.PENDING
    token = secrets.token_urlsafe(32)
    device = Device(school_id=user.school_id, user_id=user.id, token_hash=token_hash(token),
                    name=describe(user_agent), user_agent=user_agent[:1000], status=status,
                    last_seen_at=now, approved_at=now if status == DeviceStatus.TRUSTED else None,
                    expires_at=now + lifetime(db, user.school_id)
                    if status == DeviceStatus.TRUSTED else None)
    db.add(device)
    db.flush()
    return device, token, True


def _first_head_device(db: Session, user: User) -> bool:
    """True only for a school's very first headteacher device, ever.

    After that, a lost or revoked phone never re-opens the bootstrap: another headteacher
    approves, or the server's operator runs ``trip-companion devices trust``.
    """
    if user.role != Role.HEADTEACHER:
        return False
    ever = db.scalar(select(Device.id).join(User, Device.user_id == User.id).where(
        Device.school_id == user.school_id, User.role == Role.HEADTEACHER,
        Device.approved_at.is_not(None)).limit(1))
    return ever is None


PASSCODE_TTL = timedelta(minutes=10)
MAX_ATTEMPTS = 5


class DeviceError(ValueError):
    """A device request that can't be honoured, in words the person can act on."""


def pending(db: Session, school_id: int) -> list[Device]:
    return list(db.scalars(select(Device).where(Device.school_id == school_id,
                                                Device.status == DeviceStatus.PENDING)
                           .order_by(Device.created_at)))


def approve(db: Session, device: Device, approver: User, now: datetime | None = None) -> str:
    """Issue the one-time 6-digit passcode the headteacher reads to the device's owner."""
    if device.school_id != approver.school_id or device.status != DeviceStatus.PENDING:
        msg = "This device isn't waiting for approval."
        raise DeviceError(msg)
    now = now or utcnow()
    code = f"{secrets.randbelow(1_000_000):06d}"
    device.passcode_hash = _hasher.hash(code)
    device.passcode_expires_at = now + PASSCODE_TTL
    device.passcode_attempts = 0
    device.approved_by = approver.id
    return code


def lifetime(db: Session, school_id: int) -> timedelta:
    """How long the school trusts an approved device before it must be renewed (R13).

    The school's profile sets it (a term unless changed); every way a device becomes
    trusted uses it: the passcode, a renewal, the first headteacher's device and the
    operator's ``devices trust``.
    """
    return profile.load(db, db.get(School, school_id)).device_lifetime


def enter_passcode(db: Session, device: Device, code: str, now: datetime | None = None) -> None:
    """Trust the device if ``code`` is its live passcode; count and limit wrong tries."""
    now = now or utcnow()
    if device.status != DeviceStatus.PENDING or device.passcode_hash is None:
        msg = "There's no passcode for this device yet. Ask your headteacher to approve it."
        raise DeviceError(msg)
    if device.passcode_expires_at is None or now > device.passcode_expires_at:
        _forget_passcode(device)
        msg = "That passcode has expired (they last 10 minutes). Ask for a new one."
        raise DeviceError(msg)
    if not _count_attempt(db, device):
        msg = "Too many wrong passcodes. Ask again, and the headteacher will get a new code."
        raise DeviceError(msg)
    if not _verify_code(device.passcode_hash, code.strip()):
        left = MAX_ATTEMPTS - device.passcode_attempts
        msg = f"That passcode isn't right. {left} tries left." if left else \
            "Too many wrong passcodes. Ask again, and the headteacher will get a new code."
        raise DeviceError(msg)
    _forget_passcode(device)
    device.status = DeviceStatus.TRUSTED
    device.approved_at = now
    device.expires_at = now + lifetime(db, device.school_id)


def _count_attempt(db: Session, device: Device) -> bool:
    """Spend one try with a single conditional UPDATE, so parallel guesses can't share one.

    The UPDATE also holds the row until the caller commits; False when no try is left.
    """
    spent = db.execute(update(Device).where(
        Device.id == device.id, Device.passcode_hash.is_not(None),
        Device.passcode_attempts < MAX_ATTEMPTS)
        .values(passcode_attempts=Device.passcode_attempts + 1)).rowcount
    db.refresh(device, ["passcode_attempts"])
    return bool(spent)


def trust(db: Session, device: Device, now: datetime | None = None) -> None:
    """Trust a device without a passcode: only for the server's operator, at its console."""
    now = now or utcnow()
    _forget_passcode(device)
    device.status, device.approved_at, device.expires_at = (
        DeviceStatus.TRUSTED, now, now + lifetime(db, device.school_id))


def renew(db: Session, device: Device, now: datetime | None = None) -> None:
    """Trust a trusted device for another of the school's lifetimes, from now."""
    device.expires_at = (now or utcnow()) + lifetime(db, device.school_id)


def _forget_passcode(device: Device) -> None:
    device.passcode_hash = None
    device.passcode_expires_at = None


def _verify_code(code_hash: str, code: str) -> bool:
    try:
        return _hasher.verify(code_hash, code)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def ask_again(device: Device) -> None:
    """Start a fresh request after too many tries or an expired code."""
    if device.status != DeviceStatus.PENDING:
        msg = "This device isn't waiting for approval."
        raise DeviceError(msg)
    _forget_passcode(device)
    device.passcode_attempts = 0
    device.approved_by = None


def revoke(device: Device, now: datetime | None = None) -> None:
    """Revoke: every session on the device ends at its next request."""
    device.status = DeviceStatus.REVOKED
    device.revoked_at = now or utcnow()
    _forget_passcode(device)


def is_usable(device: Device | None, now: datetime | None = None) -> bool:
    """A trusted device whose term has not run out."""
    if device is None or device.status != DeviceStatus.TRUSTED:
        return False
    return device.expires_at is None or (now or utcnow()) < device.expires_at
