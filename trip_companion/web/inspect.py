"""The headteacher's inspection (R10, R11) and audit trail (R17) views, with CSV exports."""

from __future__ import annotations

import csv
import io
import json
from datetime import date

from flask import Blueprint, Response, abort, flash, redirect, request, url_for
from flask_login import current_user
from sqlalchemy import select

from trip_companion import audit, inspection, profile
from trip_companion.models import AuditEntry, Device, Event, Role, User, utcnow
from trip_companion.web.access import LEADERSHIP, allow
from trip_companion.web.context import get_db, render, school_row, wants_fragment

bp = Blueprint("inspect", __name__)


def _filters() -> inspection.Filters:
    def day(name):
        try:
            return date.fromisoformat(request.args.get(name, ""))
        except ValueError:
            return None

    return inspection.Filters(event_id=request.args.get("event", type=int),
                              user_id=request.args.get("staff", type=int),
                              since=day("since"), until=day("until"))


def _choices():
    db, school_id = get_db(), current_user.school_id
    events = db.scalars(select(Event).where(Event.school_id == school_id)
                        .order_by(Event.starts_at.desc())).all()
    staff = db.scalars(select(User).where(User.school_id == school_id)
                       .order_by(User.name)).all()
    return events, staff


@bp.get("/inspection")
@allow(Role.HEADTEACHER)
def index():
    filters = _filters()
    rows = inspection.rows(get_db(), current_user.school_id, filters)
    events, staff = _choices()
    return render("inspect/index.html", "inspect/_table.html", rows=rows, filters=filters,
                  events=events, staff=staff, age_words=inspection.age_words)


@bp.get("/inspection.csv")
@allow(Role.HEADTEACHER)
def index_csv():
    rows = inspection.rows(get_db(), current_user.school_id, _filters())
    header = ["device", "owner", "event", "uploaded", "posted", "removed_verified",
              "gallery_attested", "outstanding", "oldest_outstanding_minutes",
              "median_removal_seconds", "slowest_removal_seconds"]
    lines = [[r.device.name, r.device.user.name, r.event_title, r.uploaded, r.posted,
              r.removed_verified, r.gallery_attested, len(r.outstanding),
              int(max(o.age for o in r.outstanding).total_seconds() // 60)
              if r.outstanding else "",
              int(r.median_removal.total_seconds()) if r.median_removal else "",
              int(r.slowest_removal.total_seconds()) if r.slowest_removal else ""]
             for r in rows]
    return _csv("inspection.csv", header, lines)


@bp.get("/inspection/devices/<int:device_id>")
@allow(Role.HEADTEACHER)
def device(device_id: int):
    db = get_db()
    found = school_row(Device, device_id)
    saved, missing = inspection.inventory(db, found)
    entries = db.scalars(select(AuditEntry).where(AuditEntry.school_id == found.school_id,
                                                  AuditEntry.device_id == found.id)
                         .order_by(AuditEntry.seq.desc())).all()
    return render("inspect/device.html", device=found, inventory=saved,
                  held=inspection.held_items(saved), missing=missing, entries=entries,
                  rows=inspection.rows(db, found.school_id,
                                       inspection.Filters(device_id=found.id)),
                  age_words=inspection.age_words)


@bp.post("/devices/<int:device_id>/request-inventory")
@allow(Role.HEADTEACHER)
def request_inventory(device_id: int):
    db = get_db()
    found = school_row(Device, device_id)
    found.inventory_requested_at = utcnow()
    audit.record(db, found.school_id, "device.inventory_requested", actor=current_user,
                 subject=f"device:{found.id}", security=True)
    db.commit()
    flash(f"{found.name} will send a fresh inventory the next time it opens the app.")
    return redirect(url_for("inspect.device", device_id=found.id))


def _audit_query():
    db = get_db()
    query = select(AuditEntry).where(AuditEntry.school_id == current_user.school_id)
    if current_user.role != Role.HEADTEACHER:
        if not profile.load(db, current_user.school).leaders_read_audit:
            abort(403)
        query = query.where(AuditEntry.security.is_(False))
    action = request.args.get("action", "").strip()
    if action:
        query = query.where(AuditEntry.action.startswith(action))
    return query.order_by(AuditEntry.seq.desc())


@bp.get("/audit")
@allow(*LEADERSHIP)
def trail():
    db = get_db()
    entries = db.scalars(_audit_query().limit(500)).all()
    # The chain is re-hashed for the page only, not for each filter keystroke's rows.
    verdict = None if wants_fragment() else audit.verify(db, current_user.school_id)
    return render("inspect/audit.html", "inspect/_audit_rows.html", entries=entries,
                  verdict=verdict, action=request.args.get("action", ""))


@bp.get("/audit.csv")
@allow(*LEADERSHIP)
def trail_csv():
    entries = get_db().scalars(_audit_query()).all()
    header = ["seq", "at", "action", "security", "actor", "device_id", "subject", "details",
              "prev_hash", "hash"]
    lines = [[e.seq, e.at.isoformat(), e.action, e.security, e.actor_name, e.device_id or "",
              e.subject, e.details, e.prev_hash, e.hash] for e in entries]
    return _csv("audit.csv", header, lines)


def _csv(filename: str, header: list[str], lines: list[list]) -> Response:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(header)
    for line in lines:
        # Spreadsheets run cells starting with = + - @ as formulas: neutralise them.
        writer.writerow([f"'{c}" if isinstance(c, str) and c[:1] in "=+-@" else c
                         for c in line])
    response = Response(out.getvalue(), mimetype="text/csv")
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def details(entry: AuditEntry) -> str:
    data = json.loads(entry.details or "{}")
    return ", ".join(f"{k}: {v}" for k, v in data.items())


bp.add_app_template_filter(details, "audit_details")
