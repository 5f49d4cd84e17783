"""Delivering scheduled posts to each network exactly once.

Every (post, network) pair has a ``Delivery`` row, written before the first call. A worker
claims a row with one conditional UPDATE (so two workers never send the same one), and
the claim is a lease: a worker killed mid-call leaves a row the sweep hands out again.
Retrying is safe because every adapter makes the same post key a no-op (Bluesky record
key, Mastodon Idempotency-Key, the feed's unique key, and a look at recent posts on X and
Facebook), so a post exists exactly once however often it was attempted.
"""

from __future__ import annotations

import json
import logging
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from trip_companion import accounts, audit, notify
from trip_companion.media import render
from trip_companion.models import (
    Connection,
    Delivery,
    DeliveryStatus,
    Post,
    PostStatus,
    Role,
)
from trip_companion.photos import clean_copy
from trip_companion.publish import ConnectionBroken, OutgoingPost, PermanentFailure, RetryLater
from trip_companion.stores import image_size

log = logging.getLogger(__name__)
LEASE = timedelta(minutes=5)  # the default; DELIVERY_LEASE_SECONDS changes it
MAX_ATTEMPTS = 8


def lease_of(config) -> timedelta:
    """How long a claim lasts before the sweep assumes its worker died."""
    return timedelta(seconds=int((config or {}).get("DELIVERY_LEASE_SECONDS",
                                                    LEASE.total_seconds())))


def post_key(post: Post) -> str:
    return f"tc{post.school_id}p{post.id}"


def due(db: Session, now: datetime) -> list[int]:
    """Start every scheduled post whose time has come; return the deliveries to run."""
    for post in db.scalars(select(Post).where(Post.status == PostStatus.SCHEDULED,
                                              Post.scheduled_for <= now)):
        post.status = PostStatus.PUBLISHING
    # A lease that ran out means its worker died mid-call: hand the row out again.
    db.execute(update(Delivery).where(Delivery.status == DeliveryStatus.SENDING,
                                      Delivery.next_attempt_at < now)
               .values(status=DeliveryStatus.WAITING))
    db.commit()
    ready = select(Delivery.id).join(Post).where(
        Post.status == PostStatus.PUBLISHING, Delivery.status == DeliveryStatus.WAITING,
        (Delivery.next_attempt_at.is_(None)) | (Delivery.next_attempt_at <= now))
    return list(db.scalars(ready))


def claim(db: Session, delivery_id: int, now: datetime,
          lease: timedelta = LEASE) -> Delivery | None:
    """Take the row for this worker, or None if another has it or it is done."""
    publishing = select(Post.id).where(Post.status == PostStatus.PUBLISHING)
    taken = db.execute(update(Delivery).where(
        Delivery.id == delivery_id, Delivery.status == DeliveryStatus.WAITING,
        Delivery.post_id.in_(publishing),  # a post taken down meanwhile is not sent
        (Delivery.next_attempt_at.is_(None)) | (Delivery.next_attempt_at <= now))
        .values(status=DeliveryStatus.SENDING, attempts=Delivery.attempts + 1,
                next_attempt_at=now + lease)).rowcount
    db.commit()
    return db.get(Delivery, delivery_id, populate_existing=True) if taken else None


def run(db: Session, runtime, delivery_id: int, now: datetime, config=None) -> str:
    """Send one delivery; return what happened ("sent", "retry", "failed", "skipped")."""
    delivery = claim(db, delivery_id, now, lease_of(config))
    if delivery is None:
        return "skipped"
    post = db.get(Post, delivery.post_id)
    publisher = runtime.publisher(post.school_id, delivery.network)
    try:
        published = publisher.publish(outgoing(post, delivery, publisher.limits(), runtime))
        db.refresh(post)
        if post.status == PostStatus.REMOVED:  # taken down while we were sending it
            return _take_down(db, publisher, delivery, post, published, now)
    except RetryLater as exc:
        return _retry(db, delivery, post, exc, now, config)
    except PermanentFailure as exc:
        return _fail(db, delivery, post, exc, config)
    finally:
        publisher.close()
    delivery.status, delivery.sent_at = DeliveryStatus.SENT, now
    delivery.remote = json.dumps({"network": published.network, "remote_id":
                                  published.remote_id, "url": published.url,
                                  "extra": published.extra})
    delivery.last_error = None
    audit.record(db, post.school_id, "post.delivered", subject=f"post:{post.id}",
                 details={"network": delivery.network, "remote_id": published.remote_id,
                          "attempts": delivery.attempts})
    _finish(db, post, now)
    db.commit()
    return "sent"


def outgoing(post: Post, delivery: Delivery, limits, runtime) -> OutgoingPost:
    """The post as this network gets it: text, and images rendered to its limits."""
    max_bytes = limits.max_image_bytes
    images = []
    for pp in post.photos[:limits.max_images]:
        data = render(clean_copy(runtime.store, pp.photo), max_side=limits.max_side,
                      max_bytes=max_bytes)
        images.append((data, pp.alt_text, *image_size(data)))
    return OutgoingPost(key=post_key(post), text=post.caption, images=tuple(images),
                        created_at=post.scheduled_for, attempt=delivery.attempts)


def _take_down(db: Session, publisher, delivery: Delivery, post: Post, published,
               now: datetime) -> str:
    """The post was removed mid-call: delete what just went out, so it never stands."""
    publisher.delete(published)
    delivery.status, delivery.removed_at = DeliveryStatus.REMOVED, now
    audit.record(db, post.school_id, "post.removed_after_delivery", security=True,
                 subject=f"post:{post.id}",
                 details={"network": delivery.network, "remote_id": published.remote_id})
    db.commit()
    return "removed"


def _finish(db: Session, post: Post, now: datetime) -> None:
    if all(d.status == DeliveryStatus.SENT for d in post.deliveries):
        post.status, post.published_at = PostStatus.PUBLISHED, now
        audit.record(db, post.school_id, "post.published", subject=f"post:{post.id}",
                     details={"networks": [d.network for d in post.deliveries]})


def _retry(db, delivery, post, exc: RetryLater, now, config) -> str:
    if delivery.attempts >= MAX_ATTEMPTS:
        return _fail(db, delivery, post, PermanentFailure(
            f"{exc.message} We tried {delivery.attempts} times and stopped."), config)
    delivery.status = DeliveryStatus.WAITING
    delivery.next_attempt_at = now + timedelta(seconds=max(exc.retry_after_seconds, 1))
    delivery.last_error = exc.message
    db.commit()
    return "retry"


def _fail(db, delivery, post, exc: PermanentFailure, config) -> str:
    delivery.status, delivery.last_error = DeliveryStatus.FAILED, exc.message
    post.status = PostStatus.FAILED
    if isinstance(exc, ConnectionBroken):
        conn = db.scalar(select(Connection).where(Connection.school_id == post.school_id,
                                                  Connection.network == delivery.network))
        if conn is not None:
            conn.status, conn.message = "broken", exc.message
    audit.record(db, post.school_id, "post.failed", subject=f"post:{post.id}",
                 security=isinstance(exc, ConnectionBroken),
                 details={"network": delivery.network, "error": exc.message})
    db.commit()
    _tell(db, post, f"A post could not go out on {delivery.network}",
          f"“{post.caption[:120]}”\n\n{exc.message}\n", config)
    return "failed"


def _tell(db: Session, post: Post, subject: str, body: str, config) -> None:
    """Email the author and the headteacher; the dashboard shows it too."""
    heads = accounts.emails(db, post.school_id, Role.HEADTEACHER)
    notify.send_mail(config or {}, sorted({post.author.email, *heads}), subject, body)


def remind_unapproved(db: Session, now: datetime, config=None) -> int:
    """Pending posts whose time has passed don't go out; tell their authors, once."""
    told = 0
    overdue = db.scalars(select(Post).where(Post.status == PostStatus.PENDING,
                                            Post.scheduled_for < now)).all()
    already = set(db.scalars(select(audit.AuditEntry.subject).where(
        audit.AuditEntry.action == "post.approval_overdue",
        audit.AuditEntry.subject.in_([f"post:{post.id}" for post in overdue]))))
    for post in overdue:
        key = f"post:{post.id}"
        if key in already:
            continue
        audit.record(db, post.school_id, "post.approval_overdue", subject=key)
        db.commit()
        notify.send_mail(config or {}, [post.author.email],
                         "Your post is still waiting for approval",
                         f"“{post.caption[:120]}” was not approved by its time, so it has not "
                         "gone out. A senior leader still needs to approve it.\n")
        told += 1
    return told
