"""Photos from the phone: the upload API, deletion receipts, inventories, the event's photos."""

from __future__ import annotations

from flask import Blueprint, Response, abort, current_app, jsonify, request, url_for
from flask_login import current_user

from trip_companion import events, photos
from trip_companion.media import Limits, SanitizeError
from trip_companion.models import Photo, PhotoSource, Role
from trip_companion.web.access import LEADERSHIP, allow
from trip_companion.web.context import get_db, render, school_row, store
from trip_companion.web.devices import current_device
from trip_companion.web.security import csrf

bp = Blueprint("capture", __name__)
CAPTURERS = (Role.HEADTEACHER, Role.SENIOR_LEADER, Role.STAFF)


def _limits() -> Limits:
    config = current_app.config
    return Limits(max_bytes=int(config.get("MAX_PHOTO_BYTES", 30_000_000)),
                  max_pixels=int(config.get("MAX_PHOTO_PIXELS", 50_000_000)))


def _error(message: str, status: int, **extra) -> Response:
    return jsonify(error=message, **extra), status


@bp.errorhandler(photos.PhotoError)
def _photo_error(exc: photos.PhotoError) -> Response:
    return _error(str(exc), exc.status)


@bp.post("/api/photos")
@allow(*CAPTURERS)
def upload():
    db = get_db()
    device = current_device()
    if device is None:
        return _error("This phone isn't registered. Sign in again, then retry.", 403)
    event = events.find(db, current_user, request.form.get("event_id", type=int) or 0)
    if event is None:
        return _error("That trip or fixture isn't one of yours.", 404)
    file = request.files.get("photo")
    if file is None:
        return _error("The upload had no photo in it. Retry when you have signal.", 400)
    source = PhotoSource.GALLERY if request.form.get("source") == "gallery" \
        else PhotoSource.CAMERA
    try:
        result = photos.receive(db, store(), user=current_user, device=device, event=event,
                                client_id=request.headers.get("Idempotency-Key"),
                                data=file.read(), source=source, limits=_limits())
    except SanitizeError as exc:
        return _error(str(exc), 422, kind=type(exc).__name__)
    return jsonify(result.as_dict()), 201


@bp.post("/api/photos/<int:photo_id>/device-deleted")
@allow(*CAPTURERS)
def device_deleted(photo_id: int):
    db = get_db()
    photo, device = school_row(Photo, photo_id), current_device()
    body = request.get_json(silent=True) or {}
    if device is None or str(body.get("device_id")) != str(device.id):
        return _error("This confirmation didn't come from the phone that sent the photo.", 403)
    photos.confirm_deleted(db, photo, device, str(body.get("sha256", "")))
    db.commit()
    return jsonify(photo_id=photo.id, device_deleted_at=photo.device_deleted_at.isoformat())


@bp.post("/api/photos/<int:photo_id>/gallery-deleted")
@allow(*CAPTURERS)
def gallery_deleted(photo_id: int):
    db = get_db()
    photo = school_row(Photo, photo_id)
    photos.attest_gallery_deleted(db, photo, current_user)
    db.commit()
    return jsonify(photo_id=photo.id, gallery_attested_at=photo.gallery_attested_at.isoformat())


@bp.post("/api/devices/inventory")
@allow(*CAPTURERS)
def inventory():
    db = get_db()
    device = current_device()
    body = request.get_json(silent=True) or {}
    if device is None or not isinstance(body.get("items"), list):
        return _error("Send {items: [{id, sha256, state}]} from a registered phone.", 400)
    saved = photos.record_inventory(db, device, body["items"])
    db.commit()
    return jsonify(device_id=device.id, not_received=photos.not_received(db, saved))


@bp.get("/events/<int:event_id>/photos")
@allow(*CAPTURERS, *LEADERSHIP)
def event_photos(event_id: int):
    event = events.find(get_db(), current_user, event_id) or abort(404)
    return render("events/photos.html", "events/_photos.html", event=event,
                  photos=photos.for_event(get_db(), event))


@bp.get("/photos/<int:photo_id>/thumb.jpg")
@allow(*CAPTURERS, *LEADERSHIP)
def thumbnail(photo_id: int):
    photo = school_row(Photo, photo_id)
    if events.find(get_db(), current_user, photo.event_id) is None or not photo.storage_key:
        abort(404)
    response = Response(photos.thumbnail(store(), photo), mimetype="image/jpeg")
    response.headers["Cache-Control"] = "private, max-age=86400"
    return response


@bp.route("/share-target", methods=["GET", "POST"])
@allow(*CAPTURERS)
@csrf.exempt
def share_target():
    """Photos shared from the gallery arrive through the service worker, which queues them.

    Reaching the server means the worker wasn't running; nothing is changed here, the
    teacher is asked to open the app once and share again.
    """
    return render("events/share_target.html", home=url_for("home.index"))
