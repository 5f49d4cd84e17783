"""The termly report for governors, and the dashboard's reminders."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta

from flask import Blueprint, flash, redirect, request, url_for
from flask_login import current_user
from sqlalchemy import select

from trip_companion import audit, esafety
from trip_companion.models import Device, Post, PostStatus, Role, utcnow
from trip_companion.web.access import allow
from trip_companion.web.context import get_db, render

bp = Blueprint("reports", __name__)


def _period() -> tuple[date, date]:
    today = utcnow().date()
    try:
        start = date.fromisoformat(request.args.get("from", ""))
    except ValueError:
        start = today - timedelta(weeks=13)
    try:
        end = date.fromisoformat(request.args.get("to", ""))
    except ValueError:
        end = today
    return start, end


@bp.get("/reports/term")
@allow(Role.HEADTEACHER)
def term():
    db, school_id = get_db(), current_user.school_id
    start, end = _period()
    lo = datetime(start.year, start.month, start.day, tzinfo=UTC)
    hi = datetime(end.year, end.month, end.day, tzinfo=UTC) + timedelta(days=1)
    posts = db.scalars(select(Post).where(Post.school_id == school_id,
                                          Post.status.in_([PostStatus.PUBLISHED,
                                                           PostStatus.REMOVED]),
                                          Post.published_at >= lo, Post.published_at < hi)
                       .order_by(Post.published_at)).all()
    overrides = [(p, o) for p in posts for o in json.loads(p.overrides)]
    devices = db.scalars(select(Device).where(Device.school_id == school_id)
                         .order_by(Device.created_at)).all()
    incidents = [i for i in esafety.for_school(db, school_id) if lo <= i.created_at < hi]
    chain = audit.verify(db, school_id)
    return render("reports/term.html", start=start, end=end, posts=posts,
                  out_of_hours=[p for p in posts if p.out_of_hours], overrides=overrides,
                  devices=devices, incidents=incidents, chain=chain, generated=utcnow())


@bp.post("/reminders/followers-reviewed")
@allow(Role.HEADTEACHER)
def followers_reviewed():
    db = get_db()
    audit.record(db, current_user.school_id, "followers.reviewed", actor=current_user,
                 details={"note": request.form.get("note", "")[:500]})
    db.commit()
    flash("Follower review recorded.")
    return redirect(url_for("home.index"), code=303)

