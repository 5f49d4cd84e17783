"""Staff accounts: adding people, checking passwords. Argon2id hashes, never plain text."""

from __future__ import annotations

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from trip_companion.models import Role, School, User

_hasher = PasswordHasher()
# Verified against when no account matches, so a wrong email costs as long as a wrong password.
_DUMMY_HASH = _hasher.hash("not a real password")
MIN_PASSWORD_LENGTH = 10


class AccountError(ValueError):
    """A request about an account that can't be carried out, in words the user can act on."""


class LoginRefused(AccountError):
    """The email and password don't match an active account."""


def hash_password(password: str) -> str:
    """Hash ``password`` with argon2id, refusing ones too short to be safe."""
    if len(password) < MIN_PASSWORD_LENGTH:
        msg = f"Passwords need at least {MIN_PASSWORD_LENGTH} characters."
        raise AccountError(msg)
    return _hasher.hash(password)


def normalise_email(email: str) -> str:
    return email.strip().lower()


def add_user(db: Session, school: School, *, email: str, name: str, role: Role | str,
             password: str) -> User:
    """Create a staff account in ``school``; the email must be new there."""
    email = normalise_email(email)
    if "@" not in email:
        msg = f"'{email}' is not an email address."
        raise AccountError(msg)
    if find_user(db, school, email) is not None:
        msg = f"{email} already has an account at {school.name}."
        raise AccountError(msg)
    user = User(school=school, email=email, name=name.strip(), role=Role(role),
                password_hash=hash_password(password))
    db.add(user)
    db.flush()
    return user


def find_user(db: Session, school: School, email: str) -> User | None:
    return db.scalar(select(User).where(User.school_id == school.id,
                                        func.lower(User.email) == normalise_email(email)))


def authenticate(db: Session, email: str, password: str) -> User:
    """Return the active account these credentials open, or raise :class:`LoginRefused`."""
    candidates = db.scalars(select(User).where(User.email == normalise_email(email))).all()
    for user in candidates:
        if _verify(user.password_hash, password):
            if not user.active:
                msg = "This account has been disabled. Ask your headteacher."
                raise LoginRefused(msg)
            if _hasher.check_needs_rehash(user.password_hash):
                user.password_hash = _hasher.hash(password)
            return user
    if not candidates:
        _verify(_DUMMY_HASH, password)
    msg = "That email and password don't match. Check them and try again."
    raise LoginRefused(msg)


def _verify(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def set_password(user: User, password: str) -> None:
    """Change the password and end every session the old one opened."""
    user.password_hash = hash_password(password)
    user.session_version += 1


def emails(db: Session, school_id: int, *roles: Role) -> list[str]:
    """Addresses of the school's active accounts with these roles (whom to tell)."""
    return list(db.scalars(select(User.email).where(
        User.school_id == school_id, User.role.in_(roles), User.active.is_(True))
        .order_by(User.email)))
