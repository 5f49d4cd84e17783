"""What the headteacher must not forget: credential rotation (R12), the weekly follower
review (R14), devices about to expire (R13), devices waiting for approval, and posts that
could not go out (so nobody depends on email being configured)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from trip_companion import devices
from trip_companion.models import (
    AuditEntry,
    Connection,
    Delivery,
    DeliveryStatus,
    Device,
    DeviceStatus,
    Post,
    PostStatus,
    School,
)


@dataclass(frozen=True)
class Reminder:
    kind: str
    message: str
    urgent: bool = False


def due(db: Session, school: School, now: datetime, *, rotation: timedelta,
        warn_devices: timedelta = timedelta(days=14)) -> list[Reminder]:
    """Every reminder that applies to ``school`` at ``now``."""
    return [*_pending_devices(db, school), *_failed_posts(db, school),
            *_rotation(db, school, now, rotation), *_follower_review(db, school, now),
            *_expiring(db, school, now, warn_devices)]


def _failed_posts(db: Session, school: School):
    failed = select(Delivery).join(Post).where(Post.school_id == school.id,
                                                Post.status == PostStatus.FAILED,
                                                Delivery.status == DeliveryStatus.FAILED)
    for delivery in db.scalars(failed):
        yield Reminder("post", f"A post could not go out on {delivery.network}: "
                       f"{delivery.last_error}", True)


def _pending_devices(db: Session, school: School) -> list[Reminder]:
    return [Reminder("device", f"{d.user.name} is waiting for approval of {d.name}.", True)
            for d in devices.pending(db, school.id)]


def _rotation(db: Session, school: School, now: datetime, rotation: timedelta):
    for conn in db.scalars(select(Connection).where(Connection.school_id == school.id)):
        changed = conn.rotated_at or conn.connected_at
        if now - changed > rotation:
            yield Reminder("rotation", f"The {conn.network} credentials were last changed "
                           f"{(now - changed).days} days ago: change them this term (R12).")
        if conn.status != "ok":
            yield Reminder("connection", f"{conn.network}: {conn.message}", True)


def _follower_review(db: Session, school: School, now: datetime):
    last = db.scalar(select(AuditEntry.at).where(AuditEntry.school_id == school.id,
                                                 AuditEntry.action == "followers.reviewed")
                     .order_by(AuditEntry.seq.desc()).limit(1))
    if last is None or now - last > timedelta(days=7):
        yield Reminder("followers", "Review the account's followers this week and block "
                       "unsuitable ones (R14).")


def _expiring(db: Session, school: School, now: datetime, warn: timedelta):
    soon = db.scalars(select(Device).where(Device.school_id == school.id,
                                           Device.status == DeviceStatus.TRUSTED,
                                           Device.expires_at <= now + warn)).all()
    for device in soon:
        when = "has expired" if device.expires_at <= now else \
            f"expires in {(device.expires_at - now).days + 1} days"
        yield Reminder("expiry", f"{device.name} ({device.user.name}) {when}; renew it on "
                       "the Devices page if it is still needed.")
