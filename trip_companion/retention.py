"""Retention (R10): the server's clean copy of a photo is discarded on the schedule.

A clean copy is kept for the school's retention period after it was received, and then
deleted, unless a post that may still go out uses it. The network's copy is then the only
public one; the school's feed keeps its own derivative for as long as the post stands.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from trip_companion import audit, photos, profile
from trip_companion.models import Photo, Post, PostPhoto, PostStatus, School

# A photo in a post that may still go out is kept however old it is.
UNFINISHED = (PostStatus.DRAFT, PostStatus.PENDING, PostStatus.SENT_BACK,
              PostStatus.SCHEDULED, PostStatus.PUBLISHING, PostStatus.FAILED)


def discard_expired(db: Session, store, now: datetime) -> int:
    """Delete clean copies older than each school's retention period; return how many."""
    discarded = 0
    waiting = select(PostPhoto.photo_id).join(Post).where(Post.status.in_(UNFINISHED))
    for school in db.scalars(select(School)):
        keep = timedelta(days=profile.load(db, school).retention_days)
        old = db.scalars(select(Photo).where(Photo.school_id == school.id,
                                             Photo.discarded_at.is_(None),
                                             Photo.received_at < now - keep,
                                             Photo.id.not_in(waiting))).all()
        for photo in old:
            if photo.storage_key:
                store.delete(photo.storage_key)
                store.delete(photos.thumb_key(photo.storage_key))
            photo.storage_key, photo.discarded_at = None, now
            audit.record(db, school.id, "photo.discarded", subject=f"photo:{photo.id}",
                         details={"retention_days": keep.days})
            discarded += 1
        db.commit()
    return discarded
