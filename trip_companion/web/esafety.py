"""The e-safety record (R15), for the headteacher and senior leaders."""

from __future__ import annotations

import json

from flask import Blueprint, flash, redirect, request, url_for
from flask_login import current_user

from trip_companion import esafety
from trip_companion.models import Incident
from trip_companion.web.access import LEADERSHIP, allow
from trip_companion.web.context import get_db, render, school_row

bp = Blueprint("esafety", __name__, url_prefix="/esafety")


@bp.get("/")
@allow(*LEADERSHIP)
def index():
    return render("esafety/index.html", incidents=esafety.for_school(get_db(),
                                                                   current_user.school_id),
                  kinds=esafety.KINDS)


@bp.post("/")
@allow(*LEADERSHIP)
def create():
    db = get_db()
    form = request.form
    try:
        incident = esafety.record(db, current_user, kind=form.get("kind", ""),
                                  summary=form.get("summary", ""),
                                  copy_text=form.get("copy_text", ""),
                                  copy_author=form.get("copy_author", ""),
                                  copy_link=form.get("copy_link", ""))
    except esafety.IncidentError as exc:
        db.rollback()
        return render("esafety/index.html", status=400, error=str(exc), form=form,
                      incidents=esafety.for_school(db, current_user.school_id),
                      kinds=esafety.KINDS)
    db.commit()
    return redirect(url_for("esafety.show", incident_id=incident.id), code=303)


@bp.get("/<int:incident_id>")
@allow(*LEADERSHIP)
def show(incident_id: int):
    incident = school_row(Incident, incident_id)
    return render("esafety/show.html", incident=incident, actions=json.loads(incident.actions),
                  media=json.loads(incident.copy_media), action_names=esafety.ACTIONS,
                  kinds=esafety.KINDS)


@bp.post("/<int:incident_id>/actions")
@allow(*LEADERSHIP)
def act(incident_id: int):
    db, incident = get_db(), school_row(Incident, incident_id)
    try:
        esafety.add_action(db, incident, current_user, request.form.get("action", ""))
        db.commit()
    except esafety.IncidentError as exc:
        flash(str(exc))
    return redirect(url_for("esafety.show", incident_id=incident.id), code=303)


@bp.post("/<int:incident_id>/close")
@allow(*LEADERSHIP)
def close(incident_id: int):
    db, incident = get_db(), school_row(Incident, incident_id)
    try:
        esafety.close(db, incident, current_user, request.form.get("outcome", ""))
        db.commit()
    except esafety.IncidentError as exc:
        flash(str(exc))
    return redirect(url_for("esafety.show", incident_id=incident.id), code=303)
