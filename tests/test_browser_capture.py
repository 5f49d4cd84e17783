"""Capture on the phone, in the real Chromium: the offline queue never loses a photo, and the
phone's copy is deleted, verified and reported before the page says so."""

from __future__ import annotations

import hashlib
import io
import json
import subprocess
import sys
from pathlib import Path

import pytest
from PIL import Image
from playwright.sync_api import expect
from sqlalchemy import select

from tests.conftest import ARTIFACTS, SHARED, browser_login, shared_path
from tests.images import GPS_IFD, has_exif
from trip_companion import photos as photos_module
from trip_companion.models import Device, Event, Photo, Role, User
from trip_companion.web.context import store as app_store

pytestmark = pytest.mark.browser

TRIP = "Year 6 residential"
REMOVED = "Removed from this phone ✓"


# --- helpers ------------------------------------------------------------------------------

def gps_jpeg(path: Path, size=(1600, 1200), seed: int = 1) -> Path:
    """A photo with camera and GPS metadata, the kind a phone camera writes."""
    image = Image.effect_noise(size, 40 + seed).convert("RGB")
    image.paste((20 * seed % 255, 120, 200), (0, 0, size[0] // 3, size[1] // 3))
    exif = Image.Exif()
    exif[0x010F] = "TestPhoneMaker"  # Make
    exif[0x0110] = "Secret Model 9"  # Model
    gps = exif.get_ifd(GPS_IFD)
    gps.update({1: "N", 2: (51.0, 30.0, 12.5), 3: "W", 4: (0.0, 7.0, 39.0)})
    image.save(path, "JPEG", exif=exif.tobytes(), quality=92)
    return path


@pytest.fixture
def received(monkeypatch):
    """Every byte string the server's photos.receive was handed, in order."""
    seen: list[bytes] = []
    real = photos_module.receive

    def spy(*args, **kwargs):
        seen.append(kwargs["data"])
        return real(*args, **kwargs)

    monkeypatch.setattr(photos_module, "receive", spy)
    return seen


def trip_id(session) -> int:
    return session.scalar(select(Event.id).where(Event.title.startswith(TRIP)))


def staff_device(session) -> Device:
    user = session.scalar(select(User).where(User.role == Role.STAFF))
    return session.scalars(select(Device).where(Device.user_id == user.id)
                           .order_by(Device.id.desc())).first()


def event_photos(session) -> list[Photo]:
    session.expire_all()
    return list(session.scalars(select(Photo).order_by(Photo.id)))


def open_trip(page, base_url: str, session) -> str:
    url = f"{base_url}/events/{trip_id(session)}"
    page.goto(url)
    page.wait_for_function("navigator.serviceWorker.controller !== null")
    expect(page.locator("[data-capture][data-mounted]")).to_be_attached()
    return url


def queued_on_phone(page) -> dict:
    """What the app's IndexedDB still holds, read through the app's own store module."""
    return page.evaluate("""async () => {
        const store = await import('/static/js/capture/store.js');
        return {photos: await store.count(store.PHOTOS),
                confirmations: await store.count(store.CONFIRMATIONS)};
    }""")


def shots(page):
    return page.locator("[data-queue] li.shot")


def expect_all_removed(page, count: int) -> None:
    expect(shots(page)).to_have_count(count)
    for i in range(count):
        expect(shots(page).nth(i).locator(".shot-state")).to_have_text(REMOVED, timeout=20_000)


# --- the tests ----------------------------------------------------------------------------

def test_capture_strips_metadata_on_phone_and_confirms_deletion(
        page, live_server, app, session, received, tmp_path):
    """A GPS-tagged photo (and the largest phone JPEG of the corpus) goes up without EXIF,
    is stored clean, leaves nothing in IndexedDB, and the deletion is recorded server-side."""
    files = [gps_jpeg(tmp_path / "gps.jpg")]
    corpus = SHARED / "corpus"
    if corpus.exists():
        files.append(max(corpus.glob("jpeg_*.jpg"), key=lambda p: p.stat().st_size))
    problems = []
    page.on("pageerror", lambda e: problems.append(str(e)))
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    browser_login(page, live_server.url, Role.STAFF, app=app)
    # The real path: a boosted tap on "Take photos" from the home screen.
    page.locator("article.event", has_text=TRIP).get_by_role("link", name="Take photos").click()
    expect(page.locator("[data-capture][data-mounted]")).to_be_attached()
    camera = page.locator("#camera")
    assert camera.get_attribute("capture") == "environment"

    camera.set_input_files([str(f) for f in files])
    expect_all_removed(page, len(files))

    assert len(received) == len(files)
    for original, data in zip(files, received, strict=True):
        assert has_exif(original.read_bytes())
        assert not has_exif(data), "EXIF left the phone"
        assert b"TestPhoneMaker" not in data and b"Secret Model" not in data
        with Image.open(io.BytesIO(data)) as image:
            assert max(image.size) <= 2048 and image.format == "JPEG"
    assert queued_on_phone(page) == {"photos": 0, "confirmations": 0}

    device = staff_device(session)
    rows = event_photos(session)
    assert len(rows) == len(files)
    assert {r.received_sha256 for r in rows} == {hashlib.sha256(d).hexdigest() for d in received}
    for row in rows:
        assert row.device_deleted_at is not None
        assert row.deleted_from_device_id == device.id
        assert row.deleted_sha256 == row.received_sha256
    # The server's list shows them too, refreshed by the photos-changed event.
    expect(page.locator("#event-photos .server-shot")).to_have_count(len(files))
    assert problems == []  # no script errors, no CSP violations

    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "capture-phone.png"), full_page=True)
    residue = shared_path("tools", "residue.py")
    with app.app_context():
        cleaned = []
        for row in rows:
            path = tmp_path / f"clean-{row.id}.{row.format.lower()}"
            path.write_bytes(app_store().get(row.storage_key))
            cleaned.append(str(path))
    result = subprocess.run([sys.executable, str(residue), *cleaned],
                            capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stdout + result.stderr
    assert all(entry["ok"] for entry in json.loads(result.stdout))


def test_offline_photos_survive_reload_and_close_then_upload_once(
        page, context, live_server, app, session, received, tmp_path):
    """Three photos taken with no signal wait through a reload and a closed page, then go up
    by themselves when signal returns: three rows, three confirmed deletions, IDB empty."""
    files = [str(gps_jpeg(tmp_path / f"offline-{i}.jpg", (900, 700), seed=i)) for i in range(3)]
    browser_login(page, live_server.url, Role.STAFF, app=app)
    url = open_trip(page, live_server.url, session)

    context.set_offline(True)
    page.locator("#camera").set_input_files(files)
    expect(shots(page)).to_have_count(3)
    for i in range(3):
        expect(shots(page).nth(i).locator(".shot-state")).to_contain_text("Saved on this phone")
    expect(shots(page).first.locator(".shot-state")).to_contain_text("waiting for signal")
    assert queued_on_phone(page) == {"photos": 3, "confirmations": 0}

    response = page.reload()  # still offline: the worker serves the page and its modules
    assert response.from_service_worker
    expect(shots(page)).to_have_count(3)
    expect(shots(page).first.locator(".shot-state")).to_contain_text("Saved on this phone")
    page.close()

    again = context.new_page()  # same context: same IndexedDB, as after closing the browser
    assert again.goto(url).from_service_worker
    expect(shots(again)).to_have_count(3)
    assert event_photos(session) == []

    context.set_offline(False)  # "online" fires: the queue drains by itself
    expect_all_removed(again, 3)
    assert queued_on_phone(again) == {"photos": 0, "confirmations": 0}
    rows = event_photos(session)
    assert len(rows) == 3
    assert all(r.device_deleted_at is not None for r in rows)
    # The page and the worker's Background Sync both drain on "online"; the Web Lock and
    # the queue make that one upload per photo.
    assert len(received) == 3


def test_server_errors_and_dropped_connection_still_deliver_exactly_once(
        page, live_server, app, session, received, tmp_path):
    """First upload answered 500, second reaches the server but the connection drops before
    the receipt: the retry with the same Idempotency-Key gets the same receipt, one row."""
    calls = []

    def flaky(route):
        calls.append(route.request.headers.get("idempotency-key"))
        if len(calls) == 1:
            route.fulfill(status=500, content_type="application/json",
                          body='{"error": "Something went wrong on our side."}')
        elif len(calls) == 2:
            route.fetch()  # the server stores the photo...
            route.abort("connectionreset")  # ...and the phone never hears back
        else:
            route.continue_()

    browser_login(page, live_server.url, Role.STAFF, app=app)
    open_trip(page, live_server.url, session)
    page.route("**/api/photos", flaky)
    page.locator("#camera").set_input_files(str(gps_jpeg(tmp_path / "flaky.jpg", (800, 600))))
    expect_all_removed(page, 1)

    assert len(calls) == 3 and len(set(calls)) == 1, calls
    assert len(received) == 2  # the dropped attempt and the retry both reached receive()
    rows = event_photos(session)
    assert len(rows) == 1 and rows[0].client_id == calls[0]
    assert rows[0].device_deleted_at is not None
    assert queued_on_phone(page) == {"photos": 0, "confirmations": 0}


def test_hostile_file_shows_the_servers_error_and_is_kept_until_removed(
        page, live_server, app, session, tmp_path):
    """A text file named .jpg can't be decoded on the phone, so its bytes go up unchanged;
    the sanitizer's refusal is shown as it is, nothing is stored, the phone keeps it."""
    hostile = tmp_path / "holiday.jpg"
    hostile.write_bytes(b"This is not a photo at all.\n" * 40)
    browser_login(page, live_server.url, Role.STAFF, app=app)
    open_trip(page, live_server.url, session)
    page.locator("#camera").set_input_files(str(hostile))

    shot = shots(page).first
    expect(shot.locator(".shot-state")).to_have_text("Not uploaded")
    error = shot.locator(".shot-error")
    expect(error).not_to_be_empty()
    with app.test_request_context():
        from trip_companion.media import Limits, SanitizeError, sanitize

        with pytest.raises(SanitizeError) as refused:
            sanitize(hostile.read_bytes(), limits=Limits(max_bytes=30_000_000,
                                                         max_pixels=50_000_000))
    expect(error).to_have_text(str(refused.value))
    assert event_photos(session) == []
    media = Path(app.config["DATA_DIR"]) / "media"
    assert not media.exists() or not any(p.is_file() for p in media.rglob("*"))
    assert queued_on_phone(page)["photos"] == 1  # never silently dropped

    shot.get_by_role("button", name="Remove").click()
    expect(shots(page)).to_have_count(0)
    assert queued_on_phone(page) == {"photos": 0, "confirmations": 0}


def test_gallery_photo_asks_to_delete_the_original_and_records_the_teachers_word(
        page, live_server, app, session, tmp_path):
    browser_login(page, live_server.url, Role.STAFF, app=app)
    open_trip(page, live_server.url, session)
    page.locator("#gallery").set_input_files(str(gps_jpeg(tmp_path / "gallery.jpg", (700, 500))))

    shot = shots(page).first
    expect(shot.locator(".shot-state")).to_have_text("Removed from this app ✓", timeout=20_000)
    expect(shot).to_contain_text("Delete the original from your gallery")
    rows = event_photos(session)
    assert len(rows) == 1 and rows[0].source == "gallery"
    assert rows[0].device_deleted_at is not None and rows[0].gallery_attested_at is None

    confirm = shot.get_by_role("button", name="I've deleted it from my gallery")
    box = confirm.bounding_box()
    assert box["height"] >= 48
    confirm.click()
    expect(shot.locator(".shot-state")).to_have_text(REMOVED)
    expect(shot).not_to_contain_text("Delete the original")
    server_copy = page.locator("#event-photos .server-shot").first
    expect(server_copy).to_contain_text("Deleted from the phone ✓")
    rows = event_photos(session)
    assert rows[0].gallery_attested_at is not None and rows[0].removed_from_phone
    # The same list as a page of its own (progressive enhancement for the htmx fragment).
    page.goto(f"{live_server.url}/events/{trip_id(session)}/photos")
    expect(page.locator("h1")).to_have_text(f"Photos from {rows[0].event.title}")
    expect(page.locator(".server-shot")).to_have_count(1)


def test_shared_photos_upload_after_the_teacher_says_yes(
        page, live_server, app, session, received, tmp_path):
    """The share target: the worker keeps the POSTed files aside and shows the event opened
    last; once the teacher says "Upload them" they upload as gallery photos (re-encoded)."""
    browser_login(page, live_server.url, Role.STAFF, app=app)
    url = open_trip(page, live_server.url, session)
    page.goto(live_server.url + "/")
    # What Android's share sheet sends: a multipart POST navigation to /share-target.
    page.evaluate("""() => {
        const form = document.createElement('form');
        form.method = 'post'; form.action = '/share-target'; form.enctype = 'multipart/form-data';
        form.setAttribute('hx-boost', 'false');
        const input = document.createElement('input');
        input.type = 'file'; input.name = 'photos'; input.multiple = true; input.id = 'share-files';
        form.append(input); document.body.append(form);
    }""")
    shared = [str(gps_jpeg(tmp_path / f"shared-{i}.jpg", (640, 480), seed=i)) for i in range(2)]
    page.locator("#share-files").set_input_files(shared)
    page.evaluate("document.querySelector('#share-files').form.submit()")
    page.wait_for_url(url + "?share=review#capture")
    review = page.get_by_role("region", name="Photos shared into the app")
    expect(review).to_contain_text("2 photos were shared into Trip Companion")
    assert event_photos(session) == []  # nothing goes up before the teacher says yes
    review.get_by_role("button", name="Upload them").click()
    expect(shots(page)).to_have_count(2)
    for i in range(2):
        expect(shots(page).nth(i)).to_contain_text("Delete the original from your gallery",
                                                   timeout=20_000)
        # the deletion report reaches the server a moment after the receipt
        expect(shots(page).nth(i)).to_contain_text("Removed from this app", timeout=20_000)
    rows = event_photos(session)
    assert [r.source for r in rows] == ["gallery", "gallery"]
    assert all(r.device_deleted_at is not None for r in rows)
    assert not any(has_exif(d) for d in received)


def test_expired_session_keeps_the_queue_and_says_sign_in_again(
        page, context, live_server, app, session, tmp_path):
    browser_login(page, live_server.url, Role.STAFF, app=app)
    url = open_trip(page, live_server.url, session)
    context.set_offline(True)
    page.locator("#camera").set_input_files(str(gps_jpeg(tmp_path / "late.jpg", (600, 400))))
    expect(shots(page).first.locator(".shot-state")).to_contain_text("waiting for signal")
    context.clear_cookies(name="tc_session")  # the session ends while out of signal
    context.set_offline(False)

    shot = shots(page).first
    expect(shot.locator(".shot-error")).to_have_text(
        "Sign in again — your photos are safe on this phone.")
    expect(shot.get_by_role("link", name="Sign in again")).to_be_visible()
    assert queued_on_phone(page) == {"photos": 1, "confirmations": 0}
    assert event_photos(session) == []

    browser_login(page, live_server.url, Role.STAFF, app=app)  # same phone: no approval
    page.goto(url)
    expect_all_removed(page, 1)
    assert len(event_photos(session)) == 1
    assert queued_on_phone(page) == {"photos": 0, "confirmations": 0}


def test_full_phone_is_told_plainly_and_the_photo_still_goes_up_from_memory(
        page, live_server, app, session, tmp_path):
    # The page's IndexedDB refuses photos as a full disk does (the worker is unaffected).
    page.add_init_script("""(() => {
        const put = IDBObjectStore.prototype.put;
        IDBObjectStore.prototype.put = function (value, key) {
            if (this.name === 'photos') {
                throw new DOMException('The quota has been exceeded.', 'QuotaExceededError');
            }
            return put.call(this, value, key);
        };
    })()""")
    browser_login(page, live_server.url, Role.STAFF, app=app)
    open_trip(page, live_server.url, session)
    page.locator("#camera").set_input_files(str(gps_jpeg(tmp_path / "full.jpg", (600, 400))))

    expect(page.locator("[data-capture-alert]")).to_contain_text("This phone is full")
    expect_all_removed(page, 1)
    rows = event_photos(session)
    assert len(rows) == 1 and rows[0].device_deleted_at is not None


def test_trip_screen_opens_with_no_signal_from_the_home_screen(
        page, context, live_server, app, session, tmp_path):
    """Signed in at school, no signal on the trip: "Take photos" still opens the trip screen
    (the worker kept it when the home screen showed the link) and the photo waits there."""
    browser_login(page, live_server.url, Role.STAFF, app=app)
    page.wait_for_function("navigator.serviceWorker.controller !== null")
    trip_url = f"{live_server.url}/events/{trip_id(session)}"
    assert page.evaluate("""async (url) => {  // poll the worker's page cache (max 10 s)
        for (let i = 0; i < 100; i += 1) {
            if (await caches.match(url, {ignoreVary: true})) return true;
            await new Promise((resolve) => setTimeout(resolve, 100));
        }
        return false;
    }""", trip_url), "the worker never kept the trip screen"
    context.set_offline(True)
    page.locator("article.event", has_text=TRIP).get_by_role("link", name="Take photos").click()
    expect(page.locator("[data-capture][data-mounted]")).to_be_attached()
    page.locator("#camera").set_input_files(str(gps_jpeg(tmp_path / "trip.jpg", (600, 400))))
    expect(shots(page).first.locator(".shot-state")).to_contain_text("waiting for signal")
    expect(shots(page).first).to_have_css("display", "grid")  # capture.css was kept too
    context.set_offline(False)
    expect_all_removed(page, 1)


def test_another_website_cannot_push_photos_into_the_queue(
        page, context, live_server, app, session, tmp_path):
    """A form on another origin posting to /share-target is refused by the worker."""
    browser_login(page, live_server.url, Role.STAFF, app=app)
    open_trip(page, live_server.url, session)
    evil = (f'<form method="post" action="{live_server.url}/share-target" '
            'enctype="multipart/form-data"><input type="file" name="photos" id="evil"></form>')
    context.route("http://evil.test/**", lambda route: route.fulfill(
        body=evil, content_type="text/html"))
    attacker = context.new_page()
    attacker.goto("http://evil.test/")
    attacker.locator("#evil").set_input_files(str(gps_jpeg(tmp_path / "evil.jpg", (300, 200))))
    attacker.evaluate("document.querySelector('#evil').form.submit()")
    attacker.wait_for_url(lambda url: "/share-target" in url or "/events/" in url)
    assert attacker.url == live_server.url + "/share-target", "the worker queued them"
    expect(attacker.locator("h1")).to_contain_text("Open Trip Companion once with signal")
    assert queued_on_phone(page) == {"photos": 0, "confirmations": 0}
    assert event_photos(session) == []


def test_a_sandboxed_frame_on_another_site_cannot_upload_without_the_teacher(
        page, context, live_server, app, session, tmp_path):
    """A sandboxed iframe sends Origin "null", as a share sheet may: the files are only kept
    aside, the teacher sees them, and "Discard them" drops them. Nothing reaches the server."""
    browser_login(page, live_server.url, Role.STAFF, app=app)
    url = open_trip(page, live_server.url, session)
    frame = ("<form method='post' action='" + live_server.url + "/share-target' "
             "enctype='multipart/form-data' target='_top'><input type='file' name='photos' "
             "id='evil'></form>")
    evil = ('<iframe id="f" sandbox="allow-scripts allow-forms allow-top-navigation" '
            f'srcdoc="{frame}"></iframe>')
    context.route("http://evil.test/**", lambda route: route.fulfill(
        body=evil, content_type="text/html"))
    attacker = context.new_page()
    attacker.goto("http://evil.test/")
    inner = attacker.frame_locator("#f")
    inner.locator("#evil").set_input_files(str(gps_jpeg(tmp_path / "evil.jpg", (300, 200))))
    inner.locator("#evil").evaluate("input => input.form.submit()")
    attacker.wait_for_url(lambda u: "/events/" in u or "/share-target" in u)
    assert "/events/" in attacker.url  # Origin "null" is accepted, but only kept aside
    assert event_photos(session) == []
    review = attacker.get_by_role("region", name="Photos shared into the app")
    expect(review).to_contain_text("1 photo was shared")
    review.get_by_role("button", name="Discard them").click()
    expect(review).to_have_count(0)
    attacker.goto(url)
    expect(attacker.get_by_role("region", name="Photos shared into the app")).to_have_count(0)
    assert queued_on_phone(page) == {"photos": 0, "confirmations": 0}
    assert event_photos(session) == []


def test_capture_screen_passes_axe_in_every_state(
        browser, browser_context_args, live_server, app, session, tmp_path):
    """axe-core finds nothing on the screen with photos in the failed, gallery-waiting and
    done states; every button is at least 48 px high."""
    from axe_playwright_python.sync_playwright import Axe

    context = browser.new_context(**browser_context_args)
    page = context.new_page()
    browser_login(page, live_server.url, Role.STAFF, app=app)
    open_trip(page, live_server.url, session)
    bad = tmp_path / "bad.jpg"
    bad.write_bytes(b"not a photo" * 20)
    page.locator("#camera").set_input_files([str(bad), str(gps_jpeg(tmp_path / "a.jpg"))])
    page.locator("#gallery").set_input_files(str(gps_jpeg(tmp_path / "b.jpg", (500, 400))))
    expect(page.locator(".shot-gallery")).to_have_count(1, timeout=20_000)
    expect(page.locator(".shot[data-state=failed]")).to_have_count(1)
    expect(page.locator("#event-photos .server-shot")).to_have_count(2)

    results = Axe().run(page, options={"runOnly": ["wcag2a", "wcag2aa", "wcag21aa",
                                                    "best-practice"]})
    assert results.violations_count == 0, results.generate_report()
    for button in page.locator("main button, main label.primary, main label.secondary").all():
        assert button.bounding_box()["height"] >= 48, button.inner_text()
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "capture-states-phone.png"), full_page=True)
    context.close()
