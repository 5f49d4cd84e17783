"""Receiving photos from phones: sanitize, keep only the clean copy, and close the loop.

The phone's id for a photo is its idempotency key: the same key again answers the same
receipt and creates nothing. Deletion on the phone is recorded as verified (the app's own
store) or attested (the teacher deleted a gallery original), never confused.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import asdict, dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from trip_companion import audit
from trip_companion.media import CleanImage, Limits, render, sanitize
from trip_companion.models import (
    Device,
    DeviceInventory,
    Event,
    Photo,
    PhotoSource,
    User,
    utcnow,
)

CLIENT_ID = re.compile(r"^[A-Za-z0-9_-]{8,64}$")
SHA256 = re.compile(r"^[0-9a-f]{64}$")


class PhotoError(ValueError):
    """A photo request that can't be honoured, in words the teacher can act on."""

    status = 400


class KeyReused(PhotoError):
    status = 409


@dataclass(frozen=True)
class Receipt:
    photo_id: int
    client_id: str
    received_sha256: str
    clean_sha256: str
    removed: dict
    width: int
    height: int
    format: str

    def as_dict(self) -> dict:
        return asdict(self)


def receipt(photo: Photo) -> Receipt:
    return Receipt(photo.id, photo.client_id, photo.received_sha256, photo.clean_sha256,
                   json.loads(photo.removed), photo.width, photo.height, photo.format)


def check_client_id(client_id: str | None) -> str:
    if not client_id or not CLIENT_ID.match(client_id):
        msg = "The upload carried no valid Idempotency-Key; update the app and retry."
        raise PhotoError(msg)
    return client_id


def existing(db: Session, device: Device, client_id: str) -> Photo | None:
    return db.scalar(select(Photo).where(Photo.device_id == device.id,
                                         Photo.client_id == client_id))


def receive(db: Session, store, *, user: User, device: Device, event: Event, client_id: str,
            data: bytes, source: PhotoSource, limits: Limits) -> Receipt:
    """Sanitize and keep a photo once, however often the phone retries; return the receipt."""
    client_id = check_client_id(client_id)
    received_sha = hashlib.sha256(data).hexdigest()
    photo = existing(db, device, client_id)
    if photo is not None:
        return _replay(photo, received_sha)
    clean = sanitize(data, limits=limits)  # raises SanitizeError with the teacher's words
    key = f"photos/{user.school_id}/{event.id}/{device.id}-{client_id}-{clean.sha256[:16]}" \
          f".{clean.extension}"
    store.put(key, clean.data, clean.mime)
    photo = Photo(school_id=user.school_id, event_id=event.id, user_id=user.id,
                  device_id=device.id, client_id=client_id, source=source,
                  received_sha256=received_sha, received_bytes=len(data),
                  clean_sha256=clean.sha256, clean_bytes=len(clean.data), storage_key=key,
                  format=clean.format, width=clean.width, height=clean.height,
                  removed=json.dumps(clean.removed))
    db.add(photo)
    try:
        db.flush()
        audit.record(db, user.school_id, "photo.received", actor=user, device=device,
                     subject=f"photo:{photo.id}",
                     details={"event": event.id, "source": source.value,
                              "received_sha256": received_sha, "clean_sha256": clean.sha256,
                              "removed": sorted(clean.removed)})
        db.commit()
    except IntegrityError:
        # A concurrent retry with the same key won the race: answer its receipt.
        db.rollback()
        winner = existing(db, device, client_id)
        if winner is None:
            raise
        if winner.storage_key != key:
            store.delete(key)
        return _replay(winner, received_sha)
    return receipt(photo)


def clean_copy(store, photo: Photo) -> CleanImage:
    """The stored clean copy, as the sanitizer made it (so ``render`` needn't redo it)."""
    return CleanImage(store.get(photo.storage_key), photo.format, photo.width, photo.height,
                      json.loads(photo.removed))


def thumb_key(storage_key: str) -> str:
    """Where a photo's thumbnail is kept: beside its clean copy, removed with it."""
    return f"thumbs/{storage_key}.jpg"


def thumbnail(store, photo: Photo) -> bytes:
    """The photo's 480-pixel thumbnail, rendered from the clean copy once and then kept."""
    key = thumb_key(photo.storage_key)
    if store.exists(key):
        return store.get(key)
    data = render(clean_copy(store, photo), max_side=480, max_bytes=60_000)
    store.put(key, data, "image/jpeg")
    return data


def _replay(photo: Photo, received_sha: str) -> Receipt:
    if photo.received_sha256 != received_sha:
        msg = "This photo id was already used for a different photo; nothing was changed."
        raise KeyReused(msg)
    return receipt(photo)


def confirm_deleted(db: Session, photo: Photo, device: Device, sha256: str,
                    now: datetime | None = None) -> None:
    """Record that the sending device verified its copy of ``photo`` is gone."""
    if photo.device_id != device.id:
        msg = "Only the phone that sent this photo can confirm deleting it."
        raise PhotoError(msg)
    if sha256 != photo.received_sha256:
        msg = "The deleted bytes don't match the photo the server received."
        raise PhotoError(msg)
    if photo.device_deleted_at is None:
        photo.device_deleted_at = now or utcnow()
        photo.deleted_from_device_id = device.id
        photo.deleted_sha256 = sha256
        audit.record(db, photo.school_id, "photo.deleted_on_device", actor=device.user,
                     device=device, subject=f"photo:{photo.id}", details={"sha256": sha256})


def attest_gallery_deleted(db: Session, photo: Photo, user: User,
                           now: datetime | None = None) -> None:
    """Record the teacher's word that the gallery original is deleted too."""
    if photo.user_id != user.id:
        msg = "Only the person who took this photo can say they deleted it."
        raise PhotoError(msg)
    if photo.gallery_attested_at is None:
        photo.gallery_attested_at = now or utcnow()
        photo.gallery_attested_by = user.id
        audit.record(db, photo.school_id, "photo.gallery_deleted_attested", actor=user,
                     subject=f"photo:{photo.id}")


def record_inventory(db: Session, device: Device, items: list[dict],
                     now: datetime | None = None) -> DeviceInventory:
    """Keep the latest list of what the device's store still holds (ids and hashes)."""
    clean_items = []
    for item in items[:1000]:
        client_id, sha = str(item.get("id", "")), str(item.get("sha256", ""))
        if CLIENT_ID.match(client_id) and SHA256.match(sha):
            clean_items.append({"id": client_id, "sha256": sha,
                                "state": str(item.get("state", ""))[:30]})
    inventory = db.get(DeviceInventory, device.id)
    if inventory is None:
        inventory = DeviceInventory(device_id=device.id, school_id=device.school_id)
        db.add(inventory)
    inventory.items = json.dumps(clean_items)
    inventory.reported_at = now or utcnow()
    device.inventory_requested_at = None
    audit.record(db, device.school_id, "device.inventory", actor=device.user, device=device,
                 subject=f"device:{device.id}", details={"items": len(clean_items)})
    return inventory


def for_event(db: Session, event: Event) -> list[Photo]:
    """The event's photos, newest first."""
    return list(db.scalars(select(Photo).where(Photo.event_id == event.id)
                           .order_by(Photo.received_at.desc(), Photo.id.desc())))


def not_received(db: Session, inventory: DeviceInventory) -> list[dict]:
    """Items the device holds that the server never received (still queued on the phone)."""
    items = json.loads(inventory.items)
    known = set(db.scalars(select(Photo.client_id).where(
        Photo.device_id == inventory.device_id,
        Photo.client_id.in_([i["id"] for i in items]))))
    return [i for i in items if i["id"] not in known]
