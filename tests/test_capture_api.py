"""The upload API: clean copies only, exactly once, clear errors, nothing left behind."""

from __future__ import annotations

import hashlib
import io
import json
import socket
import tempfile
import threading

import httpx
import pytest

from tests.conftest import EMAILS, PASSWORD, LiveServer, approve_pending, csrf_from
from tests.images import gps_jpeg, has_exif
from trip_companion.models import DeviceInventory, Event, Photo, Role


def trip(session) -> Event:
    return session.query(Event).filter(Event.title.like("Year 6%")).one()


def upload(auth, event_id, data, key="photo-key-0001", source="camera", name="p.jpg"):
    return auth.post("/api/photos", headers={"Idempotency-Key": key},
                     data={"event_id": str(event_id), "source": source,
                           "photo": (io.BytesIO(data), name, "image/jpeg")},
                     content_type="multipart/form-data")


def stored_files(app):
    root = __import__("pathlib").Path(app.config["DATA_DIR"]) / "media"
    return sorted(p for p in root.rglob("*") if p.is_file()) if root.exists() else []


@pytest.fixture
def teacher(auth):
    assert auth.login(Role.STAFF).status_code == 302
    return auth


def test_upload_keeps_only_a_clean_copy_and_answers_a_receipt(app, teacher, session):
    original = gps_jpeg()
    assert has_exif(original)
    response = upload(teacher, trip(session).id, original)
    assert response.status_code == 201, response.get_json()
    receipt = response.get_json()
    assert receipt["received_sha256"] == hashlib.sha256(original).hexdigest()
    assert "location" in receipt["removed"] and "device" in receipt["removed"]
    photo = session.get(Photo, receipt["photo_id"])
    assert photo.clean_sha256 == receipt["clean_sha256"]
    files = stored_files(app)
    assert len(files) == 1
    clean = files[0].read_bytes()
    assert hashlib.sha256(clean).hexdigest() == receipt["clean_sha256"]
    assert not has_exif(clean) and b"iPhone" not in clean and original not in clean


def test_same_key_in_sequence_is_one_photo(app, teacher, session):
    data = gps_jpeg()
    first = upload(teacher, trip(session).id, data).get_json()
    second = upload(teacher, trip(session).id, data)
    assert second.status_code == 201 and second.get_json() == first
    assert session.query(Photo).count() == 1 and len(stored_files(app)) == 1


def test_same_key_for_different_bytes_is_refused(app, teacher, session):
    upload(teacher, trip(session).id, gps_jpeg())
    other = upload(teacher, trip(session).id, gps_jpeg(colour=(200, 10, 10)))
    assert other.status_code == 409 and "different photo" in other.get_json()["error"]
    assert session.query(Photo).count() == 1


def login_httpx(app, url: str) -> tuple[httpx.Client, str]:
    """Sign in over real HTTP, getting the new device approved on the way."""
    client = httpx.Client(base_url=url, timeout=30)
    token = csrf_from(client.get("/login").text)
    client.post("/login", data={"email": EMAILS[Role.STAFF], "password": PASSWORD,
                                "csrf_token": token})
    waiting = client.get("/device/waiting")
    code = approve_pending(app, EMAILS[Role.STAFF])
    if code:
        client.post("/device/passcode", data={"passcode": code,
                                              "csrf_token": csrf_from(waiting.text)})
    return client, csrf_from(client.get("/").text)


def test_same_key_concurrently_is_one_photo(app, session):
    event_id = trip(session).id
    data = gps_jpeg(size=(1600, 1200))
    with LiveServer(app) as server:
        client, token = login_httpx(app, server.url)
        barrier, results = threading.Barrier(4), []

        def send():
            barrier.wait()
            r = client.post("/api/photos", headers={"Idempotency-Key": "same-key-123",
                                                    "X-CSRFToken": token},
                            data={"event_id": str(event_id)},
                            files={"photo": ("p.jpg", data, "image/jpeg")})
            results.append((r.status_code, r.json()))

        threads = [threading.Thread(target=send) for _ in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(30)
        client.close()
    assert [code for code, _ in results] == [201] * 4
    assert len({json.dumps(body, sort_keys=True) for _, body in results}) == 1
    assert session.query(Photo).count() == 1
    assert len(stored_files(app)) == 1


@pytest.mark.parametrize(("data", "kind"), [
    (b"", "EmptyFileError"),
    (gps_jpeg()[:2000], "TruncatedImageError"),
    (b"GIF89a" + b"\0" * 100, "UnsupportedFormatError"),
    (b"hello, I am a text file pretending to be a photo", "UnsupportedFormatError"),
])
def test_hostile_files_get_a_clear_error_and_nothing_is_stored(app, teacher, session, data,
                                                               kind):
    response = upload(teacher, trip(session).id, data)
    assert response.status_code == 422
    body = response.get_json()
    assert body["kind"] == kind and len(body["error"]) > 20
    assert session.query(Photo).count() == 0 and stored_files(app) == []


def test_oversize_upload_is_refused(tmp_path, demo_template, session):
    from tests.conftest import Auth, build_app

    app = build_app(tmp_path / "small", demo_template, MAX_CONTENT_LENGTH=50_000)
    auth = Auth(app.test_client())
    auth.login(Role.STAFF)
    s = app.extensions["trip_companion.sessions"]()
    response = upload(auth, trip(s).id, b"\xff\xd8" + b"\0" * 60_000)
    assert response.status_code == 413
    assert "too large" in response.get_json()["error"]
    assert s.query(Photo).count() == 0
    s.close()


def test_no_original_bytes_touch_the_disk(app, teacher, session, monkeypatch):
    import werkzeug.formparser
    from werkzeug.datastructures import FileStorage
    from werkzeug.test import encode_multipart

    big = gps_jpeg(size=(1200, 900), noise=True)
    assert len(big) > 500 * 1024  # werkzeug would spool anything over 500 KB to a file
    boundary, body = encode_multipart({"event_id": str(trip(session).id), "source": "camera",
                                       "photo": FileStorage(io.BytesIO(big), "p.jpg",
                                                            content_type="image/jpeg")})

    def refuse(*args, **kwargs):
        raise AssertionError("an upload was spooled to a temporary file")

    for module in (tempfile, werkzeug.formparser):
        # (the store writes the clean copy via mkstemp + rename; that one is allowed)
        for name in ("TemporaryFile", "SpooledTemporaryFile", "NamedTemporaryFile"):
            if hasattr(module, name):
                monkeypatch.setattr(module, name, refuse)
    response = teacher.post("/api/photos", data=body, headers={"Idempotency-Key": "big-photo-1"},
                            content_type=f"multipart/form-data; boundary={boundary}")
    assert response.status_code == 201, response.get_data(as_text=True)
    monkeypatch.undo()
    files = stored_files(app)
    assert len(files) == 1 and files[0].read_bytes() != big


def test_aborted_upload_leaves_nothing(app, session):
    event_id = trip(session).id
    with LiveServer(app) as server:
        client, token = login_httpx(app, server.url)
        cookies = "; ".join(f"{k}={v}" for k, v in client.cookies.items())
        client.close()
        boundary = "XyZ"
        head = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"event_id\"\r\n\r\n"
                f"{event_id}\r\n--{boundary}\r\nContent-Disposition: form-data; name=\"photo\";"
                f" filename=\"p.jpg\"\r\nContent-Type: image/jpeg\r\n\r\n").encode()
        body = head + gps_jpeg()[:5000]
        port = int(server.url.rsplit(":", 1)[1])
        with socket.create_connection(("127.0.0.1", port)) as sock:
            sock.sendall((f"POST /api/photos HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                          f"Cookie: {cookies}\r\nX-CSRFToken: {token}\r\n"
                          f"Idempotency-Key: aborted-0001\r\n"
                          f"Content-Type: multipart/form-data; boundary={boundary}\r\n"
                          f"Content-Length: {len(body) + 100_000}\r\n\r\n").encode() + body)
        # the connection is gone mid-body; the server must have stored nothing
        client, token = login_httpx(app, server.url)
        assert client.get("/").status_code == 200
        client.close()
    assert session.query(Photo).count() == 0 and stored_files(app) == []


def test_deletion_confirmed_only_by_the_sending_device(app, teacher, session):
    receipt = upload(teacher, trip(session).id, gps_jpeg()).get_json()
    photo = session.get(Photo, receipt["photo_id"])
    wrong = teacher.post(f"/api/photos/{photo.id}/device-deleted",
                         json={"device_id": photo.device_id + 99,
                               "sha256": receipt["received_sha256"]})
    assert wrong.status_code == 403
    bad_hash = teacher.post(f"/api/photos/{photo.id}/device-deleted",
                            json={"device_id": photo.device_id, "sha256": "0" * 64})
    assert bad_hash.status_code == 400
    ok = teacher.post(f"/api/photos/{photo.id}/device-deleted",
                      json={"device_id": photo.device_id, "sha256": receipt["received_sha256"]})
    assert ok.status_code == 200
    session.expire_all()
    photo = session.get(Photo, receipt["photo_id"])
    assert photo.device_deleted_at is not None and photo.deleted_from_device_id == photo.device_id
    assert photo.gallery_attested_at is None and photo.removed_from_phone


def test_gallery_photo_needs_the_teachers_word_too(app, teacher, session):
    receipt = upload(teacher, trip(session).id, gps_jpeg(), source="gallery").get_json()
    photo_id = receipt["photo_id"]
    device_id = session.get(Photo, photo_id).device_id
    teacher.post(f"/api/photos/{photo_id}/device-deleted",
                 json={"device_id": device_id, "sha256": receipt["received_sha256"]})
    session.expire_all()
    assert not session.get(Photo, photo_id).removed_from_phone
    assert teacher.post(f"/api/photos/{photo_id}/gallery-deleted").status_code == 200
    session.expire_all()
    photo = session.get(Photo, photo_id)
    assert photo.gallery_attested_at is not None and photo.removed_from_phone


def test_inventory_lists_what_the_server_never_received(app, teacher, session):
    receipt = upload(teacher, trip(session).id, gps_jpeg()).get_json()
    items = [{"id": "photo-key-0001", "sha256": receipt["received_sha256"], "state": "sent"},
             {"id": "still-queued-1", "sha256": "a" * 64, "state": "waiting"},
             {"id": "../../etc", "sha256": "nope"}]
    response = teacher.post("/api/devices/inventory", json={"items": items})
    assert response.status_code == 200
    assert [i["id"] for i in response.get_json()["not_received"]] == ["still-queued-1"]
    inventory = session.query(DeviceInventory).one()
    assert len(json.loads(inventory.items)) == 2


def test_office_cannot_upload_and_others_events_are_closed(app, auth, session):
    auth.login(Role.OFFICE)
    assert upload(auth, trip(session).id, gps_jpeg()).status_code == 403


def test_event_photos_newest_first_with_fragment(app, teacher, session):
    event_id = trip(session).id
    for i in range(3):
        upload(teacher, event_id, gps_jpeg(colour=(i * 50, 90, 90)), key=f"photo-order-{i}")
    page = teacher.client.get(f"/events/{event_id}/photos")
    assert page.status_code == 200 and "<html" in page.get_data(as_text=True)
    fragment = teacher.client.get(f"/events/{event_id}/photos", headers={"HX-Request": "true"})
    html = fragment.get_data(as_text=True)
    assert "<html" not in html
    ids = [p.id for p in session.query(Photo).order_by(Photo.id.desc())]
    positions = [html.index(f"/photos/{i}/thumb.jpg") for i in ids]
    assert positions == sorted(positions)
    thumb = teacher.client.get(f"/photos/{ids[0]}/thumb.jpg")
    assert thumb.mimetype == "image/jpeg" and not has_exif(thumb.data)
