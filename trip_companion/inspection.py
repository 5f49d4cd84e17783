"""Device inspection (R10, R11): is any photo still on a phone after it was uploaded?

For each device and event: photos uploaded (clean by construction: only clean copies are
kept), posted, removed from the phone (verified by the app, or attested for gallery
originals), how long removal took, what is outstanding and for how long, and what the
device's last inventory holds that the server never received.
"""

from __future__ import annotations

import json
import statistics
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from trip_companion.models import (
    Device,
    DeviceInventory,
    Photo,
    PhotoSource,
    Post,
    PostPhoto,
    PostStatus,
    utcnow,
)


@dataclass
class Outstanding:
    photo: Photo
    age: timedelta
    waiting_for: str  # "phone" (no verified deletion) or "gallery" (no attestation)


@dataclass
class Row:
    device: Device
    event_id: int
    event_title: str
    uploaded: int = 0
    posted: int = 0
    removed_verified: int = 0
    gallery_attested: int = 0
    removal_times: list[timedelta] = field(default_factory=list)
    outstanding: list[Outstanding] = field(default_factory=list)

    @property
    def median_removal(self) -> timedelta | None:
        return statistics.median(self.removal_times) if self.removal_times else None

    @property
    def slowest_removal(self) -> timedelta | None:
        return max(self.removal_times) if self.removal_times else None


@dataclass(frozen=True)
class Filters:
    event_id: int | None = None
    user_id: int | None = None
    device_id: int | None = None
    since: date | None = None
    until: date | None = None


def rows(db: Session, school_id: int, filters: Filters = Filters(),
         now: datetime | None = None) -> list[Row]:
    """One row per (device, event) with photos, newest activity first."""
    now = now or utcnow()
    posted = _posted_photo_ids(db, school_id)
    table: dict[tuple[int, int], Row] = {}
    for photo in db.scalars(_photos(school_id, filters)):
        key = (photo.device_id, photo.event_id)
        row = table.get(key) or table.setdefault(
            key, Row(photo.device, photo.event_id, photo.event.title))
        _count(row, photo, photo.id in posted, now)
    return sorted(table.values(), key=lambda r: (-len(r.outstanding), r.device.id, r.event_id))


def _photos(school_id: int, filters: Filters):
    query = select(Photo).where(Photo.school_id == school_id)
    if filters.event_id:
        query = query.where(Photo.event_id == filters.event_id)
    if filters.user_id:
        query = query.where(Photo.user_id == filters.user_id)
    if filters.device_id:
        query = query.where(Photo.device_id == filters.device_id)
    if filters.since:
        query = query.where(Photo.received_at >= _start_of(filters.since))
    if filters.until:
        query = query.where(Photo.received_at < _start_of(filters.until + timedelta(days=1)))
    return query.order_by(Photo.received_at)


def _start_of(day: date) -> datetime:
    from datetime import UTC

    return datetime(day.year, day.month, day.day, tzinfo=UTC)


def _posted_photo_ids(db: Session, school_id: int) -> set[int]:
    return set(db.scalars(select(PostPhoto.photo_id).join(Post).where(
        Post.school_id == school_id, Post.status == PostStatus.PUBLISHED)))


def _count(row: Row, photo: Photo, posted: bool, now: datetime) -> None:
    row.uploaded += 1
    row.posted += posted
    if photo.device_deleted_at:
        row.removed_verified += 1
        row.removal_times.append(photo.device_deleted_at - photo.received_at)
    else:
        row.outstanding.append(Outstanding(photo, now - photo.received_at, "phone"))
    if photo.source == PhotoSource.GALLERY:
        if photo.gallery_attested_at:
            row.gallery_attested += 1
        elif photo.device_deleted_at:
            row.outstanding.append(Outstanding(photo, now - photo.received_at, "gallery"))


def inventory(db: Session, device: Device) -> tuple[DeviceInventory | None, list[dict]]:
    """The device's last inventory and the items in it the server never received."""
    from trip_companion.photos import not_received

    saved = db.get(DeviceInventory, device.id)
    return saved, (not_received(db, saved) if saved else [])


def held_items(saved: DeviceInventory | None) -> list[dict]:
    return json.loads(saved.items) if saved else []


def age_words(age: timedelta) -> str:
    """"3 min", "5 h", "2 days": how long something has been outstanding."""
    minutes = int(age.total_seconds() // 60)
    if minutes < 60:
        return f"{minutes} min"
    if minutes < 48 * 60:
        return f"{minutes // 60} h"
    return f"{minutes // (24 * 60)} days"
