"""The data model. Every row belongs to a school, so one install can serve a whole trust."""

from __future__ import annotations

import enum
from datetime import UTC, datetime

from sqlalchemy import (
    Boolean,
    Column,
    DateTime,
    Enum,
    ForeignKey,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
    TypeDecorator,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def utcnow() -> datetime:
    """Return an aware UTC timestamp; every stored time is UTC."""
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator):
    """Store aware datetimes as UTC and hand them back aware, on SQLite as on PostgreSQL."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            msg = "naive datetimes are ambiguous; pass an aware datetime"
            raise ValueError(msg)
        return value.astimezone(UTC)

    def process_result_value(self, value, dialect):
        if value is not None and value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


class Role(enum.StrEnum):
    HEADTEACHER = "headteacher"
    SENIOR_LEADER = "senior_leader"
    STAFF = "staff"
    OFFICE = "office"

    @property
    def label(self) -> str:
        return self.value.replace("_", " ").capitalize()


class EventKind(enum.StrEnum):
    RESIDENTIAL = "residential"
    DAY_TRIP = "day_trip"
    FIXTURE = "fixture"
    PERFORMANCE = "performance"
    OTHER = "other"

    @property
    def label(self) -> str:
        return self.value.replace("_", " ").capitalize()


class DeviceStatus(enum.StrEnum):
    PENDING = "pending"
    TRUSTED = "trusted"
    REVOKED = "revoked"


class School(Base):
    __tablename__ = "school"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    slug: Mapped[str] = mapped_column(String(80), unique=True)
    timezone: Mapped[str] = mapped_column(String(64), default="Europe/London")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class User(Base):
    __tablename__ = "user"
    __table_args__ = (UniqueConstraint("school_id", "email"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    school_id: Mapped[int] = mapped_column(ForeignKey("school.id"), index=True)
    email: Mapped[str] = mapped_column(String(254))
    name: Mapped[str] = mapped_column(String(200))
    role: Mapped[Role] = mapped_column(Enum(Role, native_enum=False, length=20))
    password_hash: Mapped[str] = mapped_column(String(200))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    # Bumped to end every session of this user at once (password change, disabling).
    session_version: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    school: Mapped[School] = relationship()

    # Flask-Login's user protocol, without importing Flask here.
    @property
    def is_active(self) -> bool:
        return self.active

    @property
    def is_authenticated(self) -> bool:
        return True

    @property
    def is_anonymous(self) -> bool:
        return False

    def get_id(self) -> str:
        return f"{self.id}:{self.session_version}"


class Device(Base):
    __tablename__ = "device"

    id: Mapped[int] = mapped_column(primary_key=True)
    school_id: Mapped[int] = mapped_column(ForeignKey("school.id"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id"), index=True)
    # SHA-256 of the random token in the device cookie; the token itself is never stored.
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    user_agent: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[DeviceStatus] = mapped_column(
        Enum(DeviceStatus, native_enum=False, length=20), default=DeviceStatus.PENDING
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    approved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_seen_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    approved_by: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The one-time passcode the headteacher reads out: only its hash is kept.
    passcode_hash: Mapped[str | None] = mapped_column(String(200))
    passcode_expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    passcode_attempts: Mapped[int] = mapped_column(Integer, default=0)
    # Set by the headteacher; the device sends a fresh inventory the next time it opens.
    inventory_requested_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Bumped when someone signs out here, so a copied session cookie stops working too.
    session_epoch: Mapped[int] = mapped_column(Integer, default=0, server_default="0")

    user: Mapped[User] = relationship(foreign_keys=[user_id])


event_staff = Table(
    "event_staff",
    Base.metadata,
    Column("event_id", ForeignKey("event.id", ondelete="CASCADE"), primary_key=True),
    Column("user_id", ForeignKey("user.id", ondelete="CASCADE"), primary_key=True),
)


class Event(Base):
    __tablename__ = "event"

    id: Mapped[int] = mapped_column(primary_key=True)
    school_id: Mapped[int] = mapped_column(ForeignKey("school.id"), index=True)
    kind: Mapped[EventKind] = mapped_column(Enum(EventKind, native_enum=False, length=20))
    title: Mapped[str] = mapped_column(String(200))
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime)
    lead_teacher_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))

    lead_teacher: Mapped[User | None] = relationship()
    staff: Mapped[list[User]] = relationship(secondary=event_staff)


class Pupil(Base):
    __tablename__ = "pupil"

    id: Mapped[int] = mapped_column(primary_key=True)
    school_id: Mapped[int] = mapped_column(ForeignKey("school.id"), index=True)
    first_name: Mapped[str] = mapped_column(String(100))
    surname: Mapped[str] = mapped_column(String(100))
    preferred_name: Mapped[str] = mapped_column(String(100), default="")
    class_name: Mapped[str] = mapped_column(String(50))
    photo_consent: Mapped[bool] = mapped_column(Boolean, default=False)
    name_consent: Mapped[bool] = mapped_column(Boolean, default=False)


class PhotoSource(enum.StrEnum):
    CAMERA = "camera"    # taken in the app: the app deletes its copy and verifies it
    GALLERY = "gallery"  # chosen or shared from the phone's gallery: the teacher attests


class Photo(Base):
    """A photo received clean from a device. Only the clean copy is ever stored."""

    __tablename__ = "photo"
    __table_args__ = (UniqueConstraint("device_id", "client_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    school_id: Mapped[int] = mapped_column(ForeignKey("school.id"), index=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("event.id"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id"), index=True)
    device_id: Mapped[int] = mapped_column(ForeignKey("device.id"), index=True)
    # The phone's own id for the photo, sent as Idempotency-Key: a retry finds this row.
    client_id: Mapped[str] = mapped_column(String(64))
    source: Mapped[PhotoSource] = mapped_column(Enum(PhotoSource, native_enum=False, length=10))
    received_sha256: Mapped[str] = mapped_column(String(64))
    received_bytes: Mapped[int] = mapped_column(Integer)
    clean_sha256: Mapped[str] = mapped_column(String(64))
    clean_bytes: Mapped[int] = mapped_column(Integer)
    storage_key: Mapped[str | None] = mapped_column(String(300))
    format: Mapped[str] = mapped_column(String(10))
    width: Mapped[int] = mapped_column(Integer)
    height: Mapped[int] = mapped_column(Integer)
    removed: Mapped[str] = mapped_column(Text, default="{}")  # JSON report from the sanitizer
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # Verified by the app on the device that sent it: its store no longer holds these bytes.
    device_deleted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    deleted_from_device_id: Mapped[int | None] = mapped_column(ForeignKey("device.id"))
    deleted_sha256: Mapped[str | None] = mapped_column(String(64))
    # For gallery photos: the teacher says they deleted the original from the phone's gallery.
    gallery_attested_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    gallery_attested_by: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    # The clean copy itself is discarded on the retention schedule.
    discarded_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    event: Mapped[Event] = relationship()
    user: Mapped[User] = relationship(foreign_keys=[user_id])
    device: Mapped[Device] = relationship(foreign_keys=[device_id])

    @property
    def removed_from_phone(self) -> bool:
        if self.source == PhotoSource.GALLERY:
            return self.device_deleted_at is not None and self.gallery_attested_at is not None
        return self.device_deleted_at is not None


class DeviceInventory(Base):
    """What a device last said its store still holds: the inspection view compares it."""

    __tablename__ = "device_inventory"

    device_id: Mapped[int] = mapped_column(ForeignKey("device.id"), primary_key=True)
    school_id: Mapped[int] = mapped_column(ForeignKey("school.id"), index=True)
    reported_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    items: Mapped[str] = mapped_column(Text, default="[]")  # JSON [{"id", "sha256", "state"}]


class AuditHead(Base):
    """The newest link of a school's audit chain; updating it first serialises writers."""

    __tablename__ = "audit_head"

    school_id: Mapped[int] = mapped_column(ForeignKey("school.id"), primary_key=True)
    seq: Mapped[int] = mapped_column(Integer, default=0)
    hash: Mapped[str] = mapped_column(String(64), default="0" * 64)


class AuditEntry(Base):
    """One act, append-only; ``hash`` covers the entry and the hash of the one before."""

    __tablename__ = "audit_entry"
    __table_args__ = (UniqueConstraint("school_id", "seq"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    school_id: Mapped[int] = mapped_column(ForeignKey("school.id"), index=True)
    seq: Mapped[int] = mapped_column(Integer)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    action: Mapped[str] = mapped_column(String(60), index=True)
    security: Mapped[bool] = mapped_column(Boolean, default=False)
    actor_id: Mapped[int | None] = mapped_column(Integer)
    actor_name: Mapped[str] = mapped_column(String(200), default="")
    device_id: Mapped[int | None] = mapped_column(Integer)
    subject: Mapped[str] = mapped_column(String(100), default="")
    details: Mapped[str] = mapped_column(Text, default="{}")
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))


class SchoolProfile(Base):
    """The school's policy profile (hours, names mode, approvals, networks, retention) as JSON.

    Missing keys fall back to the strictest defaults in ``trip_companion.profile``.
    """

    __tablename__ = "school_profile"

    school_id: Mapped[int] = mapped_column(ForeignKey("school.id"), primary_key=True)
    settings: Mapped[str] = mapped_column(Text, default="{}")
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_by: Mapped[int | None] = mapped_column(ForeignKey("user.id"))


class PostStatus(enum.StrEnum):
    DRAFT = "draft"
    PENDING = "pending"          # waiting for a senior leader's approval
    SENT_BACK = "sent_back"      # approval refused with a comment
    SCHEDULED = "scheduled"      # approved (or needs none) and waiting for its time
    PUBLISHING = "publishing"
    PUBLISHED = "published"
    FAILED = "failed"
    REMOVED = "removed"

    @property
    def label(self) -> str:
        return self.value.replace("_", " ").capitalize()


class Post(Base):
    __tablename__ = "post"

    id: Mapped[int] = mapped_column(primary_key=True)
    school_id: Mapped[int] = mapped_column(ForeignKey("school.id"), index=True)
    event_id: Mapped[int | None] = mapped_column(ForeignKey("event.id"), index=True)
    author_id: Mapped[int] = mapped_column(ForeignKey("user.id"), index=True)
    caption: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[PostStatus] = mapped_column(Enum(PostStatus, native_enum=False, length=20),
                                               default=PostStatus.DRAFT, index=True)
    urgent_reason: Mapped[str | None] = mapped_column(Text)
    # Overrides of warnings: JSON [{"rule", "reason", "by", "at"}].
    overrides: Mapped[str] = mapped_column(Text, default="[]")
    review_comment: Mapped[str | None] = mapped_column(Text)
    approved_by: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    approved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    scheduled_for: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    out_of_hours: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    removed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    author: Mapped[User] = relationship(foreign_keys=[author_id])
    event: Mapped[Event | None] = relationship()
    photos: Mapped[list[PostPhoto]] = relationship(order_by="PostPhoto.position",
                                                   cascade="all, delete-orphan")
    deliveries: Mapped[list[Delivery]] = relationship(cascade="all, delete-orphan")


class PostPhoto(Base):
    __tablename__ = "post_photo"

    post_id: Mapped[int] = mapped_column(ForeignKey("post.id", ondelete="CASCADE"),
                                         primary_key=True)
    photo_id: Mapped[int] = mapped_column(ForeignKey("photo.id"), primary_key=True)
    position: Mapped[int] = mapped_column(Integer, default=0)
    alt_text: Mapped[str] = mapped_column(Text, default="")
    shows_faces: Mapped[bool | None] = mapped_column(Boolean)

    photo: Mapped[Photo] = relationship()


class DeliveryStatus(enum.StrEnum):
    WAITING = "waiting"
    SENDING = "sending"
    SENT = "sent"
    FAILED = "failed"
    REMOVED = "removed"


class Delivery(Base):
    """One post on one network: the attempt row persisted before the first call."""

    __tablename__ = "delivery"
    __table_args__ = (UniqueConstraint("post_id", "network"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    school_id: Mapped[int] = mapped_column(ForeignKey("school.id"), index=True)
    post_id: Mapped[int] = mapped_column(ForeignKey("post.id", ondelete="CASCADE"), index=True)
    network: Mapped[str] = mapped_column(String(20))
    status: Mapped[DeliveryStatus] = mapped_column(
        Enum(DeliveryStatus, native_enum=False, length=20), default=DeliveryStatus.WAITING)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_error: Mapped[str | None] = mapped_column(Text)
    remote: Mapped[str | None] = mapped_column(Text)  # JSON of the adapter's Published
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    removed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class Connection(Base):
    """A network account the school posts through; credentials sealed, never sent out."""

    __tablename__ = "connection"
    __table_args__ = (UniqueConstraint("school_id", "network"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    school_id: Mapped[int] = mapped_column(ForeignKey("school.id"), index=True)
    network: Mapped[str] = mapped_column(String(20))
    sealed: Mapped[bytes | None] = mapped_column(LargeBinary)
    status: Mapped[str] = mapped_column(String(20), default="ok")  # ok, expiring, broken
    message: Mapped[str] = mapped_column(Text, default="")
    connected_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    connected_by: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    rotated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    checked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class FeedEntry(Base):
    """A post on the school's own feed page and Atom feed (R18)."""

    __tablename__ = "feed_entry"
    __table_args__ = (UniqueConstraint("school_id", "key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    school_id: Mapped[int] = mapped_column(ForeignKey("school.id"), index=True)
    key: Mapped[str] = mapped_column(String(100))
    text: Mapped[str] = mapped_column(Text)
    images: Mapped[str] = mapped_column(Text, default="[]")  # JSON [{"key", "alt", "w", "h"}]
    published_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Incident(Base):
    """An entry of the e-safety record (R15): what happened, the copy kept, what was done."""

    __tablename__ = "incident"

    id: Mapped[int] = mapped_column(primary_key=True)
    school_id: Mapped[int] = mapped_column(ForeignKey("school.id"), index=True)
    kind: Mapped[str] = mapped_column(String(20))  # post, reply, report
    post_id: Mapped[int | None] = mapped_column(ForeignKey("post.id"))
    summary: Mapped[str] = mapped_column(Text)
    copy_text: Mapped[str] = mapped_column(Text, default="")
    copy_media: Mapped[str] = mapped_column(Text, default="[]")  # JSON storage keys
    copy_author: Mapped[str] = mapped_column(String(200), default="")
    copy_link: Mapped[str] = mapped_column(Text, default="")
    occurred_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    recorded_by: Mapped[int] = mapped_column(ForeignKey("user.id"))
    dealt_with_by: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    actions: Mapped[str] = mapped_column(Text, default="[]")  # JSON [{"action", "at", "by"}]
    outcome: Mapped[str] = mapped_column(Text, default="")
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
