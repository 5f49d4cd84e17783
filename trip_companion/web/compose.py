"""Compose with the rules as live checks; the approval queue; the school's posts."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, request, url_for
from flask_login import current_user
from sqlalchemy import select

from trip_companion import compose, events, photos, policy
from trip_companion.models import EventKind, Post, PostStatus, Role, utcnow
from trip_companion.web.access import LEADERSHIP, allow
from trip_companion.web.context import get_db, render, school_row

bp = Blueprint("compose", __name__)
WRITERS = (Role.HEADTEACHER, Role.SENIOR_LEADER, Role.STAFF)
NOTES = {"mastodon": "Mastodon can't turn replies off: replies will be possible there.",
         "facebook": "Facebook Pages can't turn comments off: comments will be possible."}


def _post(post_id: int) -> Post:
    post = school_row(Post, post_id)
    if current_user.role == Role.STAFF and post.author_id != current_user.id:
        abort(404)
    return post


def _context(post: Post, verdict: compose.Verdict | None = None, error: str | None = None):
    db = get_db()
    verdict = verdict or compose.evaluate(db, post, utcnow(), current_user.school)
    settings = verdict.settings
    chosen = {pp.photo_id: pp for pp in post.photos}
    available = photos.for_event(db, post.event) if post.event else []
    counts = [(n, policy.count(post.caption, n), policy.limit(n)) for n in settings.networks]
    return {"post": post, "verdict": verdict, "chosen": chosen, "available": available,
            "counts": counts, "notes": [NOTES[n] for n in settings.networks if n in NOTES],
            "error": error, "fixture": post.event is not None
            and post.event.kind == EventKind.FIXTURE, "editable": post.status in compose.EDITABLE}


@bp.post("/posts")
@allow(*WRITERS)
def start():
    db = get_db()
    event = events.find(db, current_user, request.form.get("event_id", type=int) or 0)
    post = compose.start(db, current_user, event)
    db.commit()
    return redirect(url_for("compose.edit", post_id=post.id), code=303)


@bp.get("/posts/<int:post_id>")
@allow(*WRITERS)
def edit(post_id: int):
    return render("compose/edit.html", **_context(_post(post_id)))


def _save_from_form(post: Post) -> None:
    form = request.form
    ids = [int(i) for i in form.getlist("photo") if i.isdigit()]
    alts = {pid: form.get(f"alt-{pid}", "") for pid in ids}
    faces = {pid: {"yes": True, "no": False}.get(form.get(f"faces-{pid}", "")) for pid in ids}
    compose.save(get_db(), post, caption=form.get("caption", ""), photo_ids=ids,
                 alt_texts=alts, faces=faces, urgent_reason=form.get("urgent_reason"))


@bp.post("/posts/<int:post_id>/check")
@allow(*WRITERS)
def check(post_id: int):
    """Autosave and re-check as the teacher types (htmx, debounced); answers the panel."""
    db, post = get_db(), _post(post_id)
    try:
        _save_from_form(post)
        db.commit()
    except compose.ComposeError as exc:
        db.rollback()
        return render("compose/edit.html", "compose/_checks.html", status=422,
                      **_context(post, error=str(exc)))
    return render("compose/edit.html", "compose/_checks.html", **_context(post))


@bp.post("/posts/<int:post_id>/submit")
@allow(*WRITERS)
def submit(post_id: int):
    db, post = get_db(), _post(post_id)
    try:
        _save_from_form(post)
        verdict = compose.submit(db, post, current_user, utcnow(), current_user.school)
    except compose.ComposeError as exc:
        db.rollback()
        return render("compose/edit.html", status=422, **_context(_post(post_id),
                                                                   error=str(exc)))
    db.commit()
    flash({"approval": "Sent for approval.", "now": "Posting now."}.get(
        verdict.step, f"Scheduled: {verdict.label.removeprefix('Schedule for ')}."))
    _kick(post)
    return redirect(url_for("compose.edit", post_id=post.id), code=303)


def _kick(post: Post) -> None:
    """Start delivery at once for a post due now (the worker also sweeps for due posts)."""
    from trip_companion.web.context import enqueue_due

    if post.status == PostStatus.SCHEDULED and post.scheduled_for <= utcnow():
        enqueue_due()


@bp.post("/posts/<int:post_id>/override")
@allow(*LEADERSHIP)
def add_override(post_id: int):
    db, post = get_db(), _post(post_id)
    if post.status in compose.EDITABLE:
        _save_from_form(post)
    verdict = compose.evaluate(db, post, utcnow(), current_user.school)
    key = request.form.get("key", "")
    finding = next((f for f in verdict.report.findings if f.key == key), None)
    if finding is None:
        abort(404)
    try:
        compose.add_override(db, post, finding, current_user,
                             request.form.get(f"reason:{key}", ""))
    except compose.ComposeError as exc:
        db.rollback()
        return render("compose/edit.html", status=422, **_context(post, error=str(exc)))
    db.commit()
    return redirect(url_for("compose.edit", post_id=post.id), code=303)


@bp.post("/posts/<int:post_id>/fixture-result")
@allow(*WRITERS)
def fixture_result(post_id: int):
    db, post = get_db(), _post(post_id)
    form = request.form
    try:
        caption = policy.fixture_caption(form.get("team", ""), int(form.get("ours", "")),
                                         int(form.get("theirs", "")), form.get("opponent", ""))
        compose.save(db, post, caption=caption, photo_ids=[pp.photo_id for pp in post.photos],
                     alt_texts={pp.photo_id: pp.alt_text for pp in post.photos},
                     faces={pp.photo_id: pp.shows_faces for pp in post.photos})
    except (ValueError, compose.ComposeError) as exc:
        db.rollback()
        return render("compose/edit.html", status=422,
                      **_context(post, error=f"The result couldn't be written: {exc}"))
    db.commit()
    return redirect(url_for("compose.edit", post_id=post.id), code=303)


@bp.get("/posts")
@allow(*WRITERS)
def index():
    db = get_db()
    query = select(Post).where(Post.school_id == current_user.school_id)
    if current_user.role == Role.STAFF:
        query = query.where(Post.author_id == current_user.id)
    posts = db.scalars(query.order_by(Post.updated_at.desc()).limit(200)).all()
    return render("compose/index.html", posts=posts)


@bp.get("/posts/queue")
@allow(*LEADERSHIP)
def approvals():
    return render("compose/queue.html", "compose/_queue.html",
                  posts=compose.queue(get_db(), current_user.school_id))


@bp.post("/posts/<int:post_id>/approve")
@allow(*LEADERSHIP)
def approve(post_id: int):
    db, post = get_db(), _post(post_id)
    try:
        compose.approve(db, post, current_user, utcnow(), current_user.school)
    except compose.ComposeError as exc:
        db.rollback()
        flash(str(exc))
        return redirect(url_for("compose.approvals"), code=303)
    db.commit()
    _kick(post)
    flash("Approved.")
    return redirect(url_for("compose.approvals"), code=303)


@bp.post("/posts/<int:post_id>/send-back")
@allow(*LEADERSHIP)
def send_back(post_id: int):
    db, post = get_db(), _post(post_id)
    try:
        compose.send_back(db, post, current_user, request.form.get("comment", ""))
    except compose.ComposeError as exc:
        db.rollback()
        flash(str(exc))
        return redirect(url_for("compose.approvals"), code=303)
    db.commit()
    flash("Sent back to the author with your comment.")
    return redirect(url_for("compose.approvals"), code=303)


@bp.post("/posts/<int:post_id>/remove")
@allow(*LEADERSHIP)
def remove(post_id: int):
    """Take a post down everywhere, keep the copy, and open the e-safety record (R15)."""
    from trip_companion import esafety, removal
    from trip_companion.web.context import runtime

    db, post = get_db(), _post(post_id)
    try:
        incident = removal.remove(db, runtime(), post, current_user,
                                  request.form.get("reason", "").strip())
    except esafety.IncidentError as exc:
        flash(str(exc))
        return redirect(url_for("compose.edit", post_id=post.id), code=303)
    db.commit()
    flash("Removed from every network; the copy is kept in the e-safety record.")
    return redirect(url_for("esafety.show", incident_id=incident.id), code=303)
