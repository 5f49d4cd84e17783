"""Removing a post (R15): delete it on every network, keep a copy, open an e-safety entry.

The copy (text, images, links, times) is taken before anything is deleted, so the record
stands even if a network fails to delete; a failed deletion is logged on the incident.
"""

from __future__ import annotations

import json

from sqlalchemy.orm import Session

from trip_companion import audit, esafety
from trip_companion.models import DeliveryStatus, Incident, Post, PostStatus, User, utcnow
from trip_companion.publish import Published, PublishError


def remove(db: Session, runtime, post: Post, by: User, reason: str) -> Incident:
    """Take ``post`` down everywhere it went and record why, with the copy kept."""
    if post.status == PostStatus.REMOVED:
        msg = "This post has already been removed."
        raise esafety.IncidentError(msg)
    links = [json.loads(d.remote).get("url") or "" for d in post.deliveries if d.remote]
    media = _copy_images(runtime.store, post)
    # Networks first (the feed writes through its own connection), then our own rows.
    deleted = {d.id: _delete(runtime, post, d) for d in post.deliveries}
    failures = [d.network for d in post.deliveries if not deleted[d.id]]
    for d in post.deliveries:
        if deleted[d.id]:
            d.status, d.removed_at = DeliveryStatus.REMOVED, utcnow()
    incident = esafety.record(db, by, kind="post", summary=reason or "Post removed",
                              copy_text=post.caption, copy_link=" ".join(filter(None, links)),
                              occurred_at=post.published_at or post.created_at,
                              copy_author=post.author.name, post_id=post.id,
                              copy_media=media)
    post.status, post.removed_at = PostStatus.REMOVED, utcnow()
    esafety.add_action(db, incident, by, "removed")
    if failures:
        incident.outcome = ("Could not delete on " + ", ".join(failures)
                            + ": remove it there by hand, then close this incident.")
    audit.record(db, post.school_id, "post.removed", actor=by, subject=f"post:{post.id}",
                 security=True, details={"reason": reason, "incident": incident.id,
                                         "not_deleted_on": failures})
    return incident


def _copy_images(store, post: Post) -> list[str]:
    kept = []
    for pp in post.photos:
        if pp.photo.storage_key:
            key = f"esafety/{post.school_id}/post-{post.id}/{pp.position}.{pp.photo.format}"
            store.put(key, store.get(pp.photo.storage_key), "application/octet-stream")
            kept.append(key)
    return kept


def _delete(runtime, post: Post, delivery) -> bool:
    """Delete one network's copy; True when it is gone (or never went out)."""
    if delivery.status != DeliveryStatus.SENT or not delivery.remote:
        return True
    remote = json.loads(delivery.remote)
    publisher = runtime.publisher(post.school_id, delivery.network)
    try:
        publisher.delete(Published(remote["network"], remote["remote_id"], remote.get("url"),
                                   remote.get("extra", {})))
    except PublishError:
        return False
    finally:
        publisher.close()
    return True
