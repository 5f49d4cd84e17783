"""Composing a post: drafts, live checks against the school's rules, approval, scheduling.

The rules themselves live in ``trip_companion.policy``; this module feeds them what the
database holds and turns their verdict into the post's next state (R1, R16).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from trip_companion import audit, policy, profile
from trip_companion.models import (
    Delivery,
    Event,
    EventKind,
    Photo,
    Post,
    PostPhoto,
    PostStatus,
    Pupil,
    Role,
    School,
    User,
    utcnow,
)

MAX_PHOTOS = 4
KIND = {EventKind.RESIDENTIAL: "residential", EventKind.DAY_TRIP: "trip",
        EventKind.FIXTURE: "fixture", EventKind.PERFORMANCE: "performance",
        EventKind.OTHER: "event"}
EDITABLE = (PostStatus.DRAFT, PostStatus.SENT_BACK)


class ComposeError(ValueError):
    """A step the post can't take, in words the teacher can act on."""


@dataclass(frozen=True)
class Verdict:
    report: policy.Report
    label: str
    step: str  # "fix", "approval", "override", "now", "schedule"
    remaining: list[policy.Finding]
    settings: profile.Settings  # the profile the checks ran with


def policy_role(user: User) -> str:
    """The role as the rules know it (office accounts never post: treat as staff)."""
    return "staff" if user.role == Role.OFFICE else user.role.value


def register(db: Session, school_id: int) -> policy.RegisterIndex:
    """The school's register as the rules index it (cached by content inside policy)."""
    pupils = db.scalars(select(Pupil).where(Pupil.school_id == school_id)
                        .order_by(Pupil.id)).all()
    return policy.compile_register(tuple(
        policy.Pupil(p.first_name, p.surname, p.preferred_name or None, p.class_name,
                     p.photo_consent, p.name_consent) for p in pupils))


def event_window(event: Event | None) -> policy.EventWindow | None:
    if event is None:
        return None
    return policy.EventWindow(KIND[event.kind], event.starts_at, event.ends_at)


def as_draft(post: Post, author_role: str) -> policy.Draft:
    return policy.Draft(caption=post.caption,
                        photos=tuple(policy.Photo(pp.alt_text, pp.shows_faces)
                                     for pp in post.photos),
                        event=event_window(post.event), urgent_reason=post.urgent_reason,
                        author_role=author_role)


def overrides_of(post: Post) -> list[policy.Override]:
    return [policy.Override(o["key"], o["by_role"], o["reason"], o.get("by_id"))
            for o in json.loads(post.overrides)]


def evaluate(db: Session, post: Post, at: datetime, school: School) -> Verdict:
    """Run every rule on the post as it stands and say what its button can honestly do."""
    settings = profile.load(db, school)
    rules = settings.policy(school.timezone)
    role = policy_role(post.author)
    report = policy.check(as_draft(post, role), register=register(db, school.id),
                          profile=rules, at=at.astimezone(ZoneInfo(school.timezone)))
    overrides = overrides_of(post)
    return Verdict(report, policy.action_label(report, role, rules, overrides),
                   policy.next_step(report, role, rules, overrides),
                   policy.apply_overrides(report.findings, overrides), settings)


def start(db: Session, author: User, event: Event | None) -> Post:
    """A new, empty draft (optionally for an event)."""
    if author.role == Role.OFFICE:
        msg = "Office accounts can't write posts."
        raise ComposeError(msg)
    post = Post(school_id=author.school_id, author_id=author.id,
                event_id=event.id if event else None)
    db.add(post)
    db.flush()
    audit.record(db, author.school_id, "post.draft_started", actor=author,
                 subject=f"post:{post.id}")
    return post


def save(db: Session, post: Post, *, caption: str, photo_ids: list[int],
         alt_texts: dict[int, str], faces: dict[int, bool | None],
         urgent_reason: str | None = None) -> None:
    """Autosave the draft: caption, up to four of the event's photos, their alt text."""
    if post.status not in EDITABLE:
        msg = "This post can't be changed any more."
        raise ComposeError(msg)
    if len(photo_ids) > MAX_PHOTOS:
        msg = f"A post can carry at most {MAX_PHOTOS} photos."
        raise ComposeError(msg)
    allowed = set(db.scalars(select(Photo.id).where(Photo.school_id == post.school_id,
                                                    Photo.event_id == post.event_id,
                                                    Photo.id.in_(photo_ids))))
    post.caption = caption[:5000]
    post.urgent_reason = (urgent_reason or "").strip()[:500] or None
    post.photos = [PostPhoto(photo_id=pid, position=i, alt_text=alt_texts.get(pid, "")[:1500],
                             shows_faces=faces.get(pid))
                   for i, pid in enumerate(p for p in photo_ids if p in allowed)]
    post.updated_at = utcnow()


def add_override(db: Session, post: Post, finding: policy.Finding, by: User,
                 reason: str) -> None:
    """Record a senior leader's override of one warning (a block is refused)."""
    try:
        made = policy.override(finding, policy_role(by), reason, by.id)
    except ValueError as exc:
        raise ComposeError(str(exc)[:1].upper() + str(exc)[1:] + ".") from exc
    items = [o for o in json.loads(post.overrides) if o["key"] != made.key]
    items.append({"key": made.key, "rule": finding.rule, "by_role": made.by_role,
                  "by_id": by.id, "by": by.name, "reason": made.reason,
                  "at": utcnow().isoformat()})
    post.overrides = json.dumps(items)
    audit.record(db, post.school_id, "post.override", actor=by, subject=f"post:{post.id}",
                 details={"rule": finding.rule, "message": finding.message,
                          "reason": made.reason})


def submit(db: Session, post: Post, by: User, now: datetime, school: School) -> Verdict:
    """Move the draft on: refuse, send for approval, schedule, or queue it to post now."""
    if post.status not in EDITABLE:
        msg = "This post has already been sent on."
        raise ComposeError(msg)
    if post.urgent_reason and by.role not in (Role.SENIOR_LEADER, Role.HEADTEACHER):
        msg = "Only a senior leader or the headteacher can post urgent news out of hours."
        raise ComposeError(msg)
    verdict = evaluate(db, post, now, school)
    if verdict.step in ("fix", "override"):
        raise ComposeError(verdict.label + ".")
    if verdict.step == "approval":
        post.status = PostStatus.PENDING
        post.scheduled_for = verdict.report.next_allowed
        audit.record(db, post.school_id, "post.sent_for_approval", actor=by,
                     subject=f"post:{post.id}", details={"caption": post.caption})
        return verdict
    _schedule(db, post, verdict, by, now, school)
    return verdict


def _schedule(db: Session, post: Post, verdict: Verdict, by: User, now: datetime,
              school: School) -> None:
    report, rules = verdict.report, verdict.settings.policy(school.timezone)
    post.status = PostStatus.SCHEDULED
    post.scheduled_for = now if report.allowed_now else report.next_allowed
    post.out_of_hours = report.allowed_now and not policy.in_window(now.astimezone(rules.tz),
                                                                    rules)
    networks = verdict.settings.networks
    existing = {d.network for d in post.deliveries}
    post.deliveries.extend(Delivery(school_id=post.school_id, network=n)
                           for n in networks if n not in existing)
    audit.record(db, post.school_id, "post.scheduled", actor=by, subject=f"post:{post.id}",
                 details={"for": post.scheduled_for.isoformat(), "networks": list(networks),
                          "out_of_hours": post.out_of_hours,
                          "urgent_reason": post.urgent_reason})


def approve(db: Session, post: Post, by: User, now: datetime, school: School) -> Verdict:
    """A senior leader approves someone else's pending post; it is scheduled or queued."""
    if post.status != PostStatus.PENDING:
        msg = "This post isn't waiting for approval."
        raise ComposeError(msg)
    if not policy.can_approve(by.id, policy_role(by), post.author_id):
        msg = "You can't approve this post: nobody approves their own."
        raise ComposeError(msg)
    verdict = evaluate(db, post, now, school)
    if verdict.report.blocking:
        msg = "This post breaks a rule that can't be overridden; send it back."
        raise ComposeError(msg)
    post.approved_by, post.approved_at = by.id, now
    audit.record(db, post.school_id, "post.approved", actor=by, subject=f"post:{post.id}")
    _schedule(db, post, verdict, by, now, school)
    return verdict


def send_back(db: Session, post: Post, by: User, comment: str) -> None:
    """Return a pending post to its author with a comment."""
    if post.status != PostStatus.PENDING:
        msg = "This post isn't waiting for approval."
        raise ComposeError(msg)
    if not comment.strip():
        msg = "Say what should change, so the author can fix it."
        raise ComposeError(msg)
    post.status, post.review_comment = PostStatus.SENT_BACK, comment.strip()
    audit.record(db, post.school_id, "post.sent_back", actor=by, subject=f"post:{post.id}",
                 details={"comment": post.review_comment})


def queue(db: Session, school_id: int) -> list[Post]:
    """Posts waiting for approval, oldest first."""
    return list(db.scalars(select(Post).where(Post.school_id == school_id,
                                              Post.status == PostStatus.PENDING)
                           .order_by(Post.updated_at)))


def for_event(db: Session, event: Event, viewer: User, limit: int = 5) -> list[Post]:
    """The event's posts a person may see: staff their own and what is published."""
    query = select(Post).where(Post.event_id == event.id, Post.status != PostStatus.REMOVED)
    if viewer.role == Role.STAFF:
        query = query.where((Post.author_id == viewer.id)
                            | (Post.status == PostStatus.PUBLISHED))
    return list(db.scalars(query.order_by(Post.updated_at.desc()).limit(limit)))
