"""Benchmark: one phone photo from "Take photos" to "Removed from this phone ✓" on slow 3G.

Starts the app (waitress, a throwaway data dir, the demo school, a known password), drives
Debian's Chromium with Playwright on a phone-sized screen, signs in as the teacher (playing
the headteacher's device approval), throttles the page with CDP
``Network.emulateNetworkConditions`` (upload 750 kbit/s, download 1.5 Mbit/s, 300 ms
latency), captures the photo through the camera input, and prints:

* the time from ``set_input_files`` to "Removed from this phone ✓", with a timeline of the
  states the page showed (prepare on the phone, upload, receipt, deletion confirmed);
* the bytes that left the phone (the request body, and the photo part the server received)
  against the original file's size;
* the same for a plain upload of the original bytes (the reference).

Targets: under 10 s, and at most 20% of the original's bytes. It measures: the exit status
is 0 when a target is missed (a "TARGET MISSED" line says which) and non-zero only when the
measurement itself went wrong.

    .venv/bin/python bench/upload.py [PHOTO] [--runs N] [--cpu-slowdown X] [--max-side PX]

PHOTO defaults to the largest phone JPEG in ../shared/corpus/.
"""

from __future__ import annotations

import argparse
import os
import secrets
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from tests.prerequisites import free_port  # noqa: E402

CORPUS = ROOT.parent / "shared" / "corpus"
TC = ROOT / ".venv" / "bin" / "trip-companion"
CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                 "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run", "--disable-quic"]
TEACHER, HEAD = "teacher@demo.school", "head@demo.school"
THREE_G = {"offline": False, "latency": 300,
           "downloadThroughput": 1_500_000 / 8, "uploadThroughput": 750_000 / 8}
TARGET_SECONDS, TARGET_FRACTION = 10.0, 0.20
REMOVED = "Removed from this phone ✓"

# Records each state the newest photo shows, with performance.now(), for the timeline.
WATCH_STATES = """() => {
  window.__states = [];
  const list = document.querySelector('[data-queue]');
  const seen = () => {
    const state = list.querySelector('li.shot .shot-state');
    const text = state ? state.textContent : '';
    const last = window.__states[window.__states.length - 1];
    const key = text.replace(/\\d+%/, '%');
    if (text && (!last || last.key !== key)) {
      window.__states.push({text, key, t: performance.now()});
    }
  };
  new MutationObserver(seen).observe(list, {subtree: true, childList: true, characterData: true});
  window.__t0 = performance.now();
}"""

# The reference: the original bytes in one XHR to the same API, as a naive app would send.
PLAIN_UPLOAD = """async ([eventId]) => {
  const file = document.querySelector('#bench-original').files[0];
  const form = new FormData();
  form.append('photo', file, 'original.jpg');
  form.append('event_id', String(eventId));
  form.append('source', 'camera');
  const t0 = performance.now();
  const status = await new Promise((resolve) => {
    const xhr = new XMLHttpRequest();
    xhr.open('POST', '/api/photos');
    xhr.setRequestHeader('Idempotency-Key', crypto.randomUUID().replaceAll('-', ''));
    xhr.setRequestHeader('X-CSRFToken', document.querySelector('meta[name=csrf-token]').content);
    xhr.onload = () => resolve(xhr.status);
    xhr.onerror = () => resolve(0);
    xhr.send(form);
  });
  return {status, ms: performance.now() - t0};
}"""


class BenchError(Exception):
    """The measurement could not be made (not: a target was missed)."""


def main(argv: list[str]) -> int:
    args = parse_args(argv)
    photo = args.photo or largest_phone_jpeg()
    original = photo.stat().st_size
    print(f"photo: {photo.name}, {kb(original)}; network: upload 750 kbit/s, download "
          f"1.5 Mbit/s, latency 300 ms; CPU slowdown x{args.cpu_slowdown:g}", flush=True)
    with tempfile.TemporaryDirectory(prefix="tc-bench-upload-") as tmp:
        data_dir = Path(tmp) / "data"
        password = secrets.token_urlsafe(12)
        env = prepare_data(data_dir, password, args.max_side)
        port = free_port()
        server = start_server(env, port, Path(tmp) / "server.log")
        try:
            base = f"http://127.0.0.1:{port}"
            wait_for_server(base, server)
            results = measure(base, data_dir, password, photo, args.runs, args.cpu_slowdown)
            results["received"] = received_sizes(data_dir)
        finally:
            stop_server(server)
    return report(results, original)


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="bench/upload.py", description=__doc__.split("\n")[0])
    parser.add_argument("photo", nargs="?", type=Path,
                        help="the photo to capture (default: the largest phone JPEG in "
                             "../shared/corpus/)")
    parser.add_argument("--runs", type=int, default=1, metavar="N",
                        help="captures to time; the median is reported (default 1)")
    parser.add_argument("--cpu-slowdown", type=float, default=1, metavar="X",
                        help="CDP CPU throttling, e.g. 4 for a mid-range phone (default 1)")
    parser.add_argument("--max-side", type=int, default=None, metavar="PX",
                        help="CAPTURE_MAX_SIDE for the app (default: the app's, 2048)")
    args = parser.parse_args(argv)
    if args.photo is not None and not args.photo.is_file():
        parser.error(f"{args.photo} is not a file")
    if args.runs < 1:
        parser.error("--runs must be at least 1")
    return args


def largest_phone_jpeg() -> Path:
    if not CORPUS.is_dir():
        raise BenchError(f"{CORPUS} is not here; pass a photo path")
    return max(CORPUS.glob("jpeg_*.jpg"), key=lambda p: p.stat().st_size)


# --- the server -----------------------------------------------------------------------------

def env_for(data_dir: Path, max_side: int | None) -> dict[str, str]:
    env = {**os.environ, "TRIP_COMPANION_DATA_DIR": str(data_dir)}
    if max_side:
        env["TRIP_COMPANION_CAPTURE_MAX_SIDE"] = str(max_side)
    return env


def prepare_data(data_dir: Path, password: str, max_side: int | None) -> dict[str, str]:
    """Migrate, load the demo school, and give the teacher and the head a known password."""
    data_dir.mkdir(parents=True)
    env = env_for(data_dir, max_side)
    for command in (["db", "upgrade"], ["demo"]):
        subprocess.run([str(TC), *command], env=env, check=True, capture_output=True)
    for email in (TEACHER, HEAD):
        subprocess.run([str(TC), "users", "set-password", "--email", email, "--password-stdin"],
                       input=password + "\n", text=True, env=env, check=True,
                       capture_output=True)
    return env


def start_server(env: dict[str, str], port: int, log: Path) -> subprocess.Popen:
    handle = log.open("w")
    return subprocess.Popen([str(TC), "serve", "--port", str(port)], env=env,
                            stdout=handle, stderr=subprocess.STDOUT)


def stop_server(server: subprocess.Popen) -> None:
    server.terminate()
    try:
        server.wait(10)
    except subprocess.TimeoutExpired:
        server.kill()  # our own child, by its pid
        server.wait(10)


def wait_for_server(base: str, server: subprocess.Popen, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise BenchError("the server exited before it answered")
        try:
            with urllib.request.urlopen(base + "/login", timeout=2):
                return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            time.sleep(0.1)
    raise BenchError(f"the server did not answer within {timeout:.0f} s")


def approve_device(data_dir: Path, email: str) -> str:
    """Play the headteacher: approve the teacher's waiting device, return the passcode."""
    from trip_companion import create_app, devices
    from trip_companion.models import Device, DeviceStatus, Role, User

    app = create_app({"DATA_DIR": str(data_dir)})
    session = app.extensions["trip_companion.sessions"]()
    try:
        user = session.query(User).filter_by(email=email).one()
        device = (session.query(Device).filter_by(user_id=user.id, status=DeviceStatus.PENDING)
                  .order_by(Device.id.desc()).first())
        head = session.query(User).filter_by(school_id=user.school_id,
                                             role=Role.HEADTEACHER).first()
        code = devices.approve(session, device, head)
        session.commit()
        return code
    finally:
        session.close()
        app.extensions["trip_companion.engine"].dispose()


def received_sizes(data_dir: Path) -> list[int]:
    """Bytes of the photo part the server received, per Photo row, oldest first."""
    from trip_companion import create_app
    from trip_companion.models import Photo

    app = create_app({"DATA_DIR": str(data_dir)})
    session = app.extensions["trip_companion.sessions"]()
    try:
        return [p.received_bytes for p in session.query(Photo).order_by(Photo.id)]
    finally:
        session.close()
        app.extensions["trip_companion.engine"].dispose()


# --- the browser ----------------------------------------------------------------------------

def measure(base: str, data_dir: Path, password: str, photo: Path, runs: int,
            cpu_slowdown: float) -> dict:
    from playwright.sync_api import expect, sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        context = browser.new_context(viewport={"width": 390, "height": 844},
                                      device_scale_factor=3, is_mobile=True, has_touch=True)
        page = context.new_page()
        sign_in(page, base, data_dir, password)
        page.locator("article.event").first.get_by_role("link", name="Take photos").click()
        expect(page.locator("[data-capture][data-mounted]")).to_be_attached()
        page.wait_for_function("navigator.serviceWorker.controller !== null")
        event_id = int(page.locator("[data-capture]").get_attribute("data-event-id"))

        cdp = context.new_cdp_session(page)
        cdp.send("Network.enable")
        cdp.send("Network.emulateNetworkConditions", THREE_G)
        if cpu_slowdown > 1:
            cdp.send("Emulation.setCPUThrottlingRate", {"rate": cpu_slowdown})
        bodies: list[int] = []
        page.on("requestfinished", lambda r: bodies.append(request_bytes(r))
                if r.method == "POST" and r.url.endswith("/api/photos") else None)

        captures = []
        for n in range(runs):
            captures.append(capture_once(page, photo, n + 1, bodies, expect))
        reference = plain_upload(page, photo, event_id, bodies)
        browser.close()
    return {"captures": captures, "reference": reference}


def request_bytes(request) -> int:
    """The upload's body size on the wire (Playwright can't read multipart file bodies)."""
    return int(request.all_headers().get("content-length", 0))


def sign_in(page, base: str, data_dir: Path, password: str) -> None:
    page.goto(base + "/login")
    page.fill("#email", TEACHER)
    page.fill("#password", password)
    page.click("button[type=submit]")
    page.wait_for_url(lambda url: url.endswith("/") or "/device/waiting" in url)
    if "/device/waiting" in page.url:
        page.fill("#passcode", approve_device(data_dir, TEACHER))
        page.get_by_role("button", name="Approve this device").click()
        page.wait_for_url(base + "/")


def capture_once(page, photo: Path, n: int, bodies: list[int], expect) -> dict:
    before = len(bodies)
    page.evaluate(WATCH_STATES)
    t0 = time.monotonic()
    page.locator("#camera").set_input_files(str(photo))
    expect(page.locator("[data-queue] li.shot").first.locator(".shot-state")).to_have_text(
        REMOVED, timeout=180_000)
    seconds = time.monotonic() - t0
    timeline = page.evaluate("window.__states.map(s => [s.text, s.t - window.__t0])")
    sent = bodies[before:]
    print(f"  capture {n}: {seconds:.2f} s, request body {kb(sum(sent))} "
          f"({len(sent)} upload request{'s' if len(sent) != 1 else ''})", flush=True)
    return {"seconds": seconds, "body": sum(sent), "requests": len(sent), "timeline": timeline}


def plain_upload(page, photo: Path, event_id: int, bodies: list[int]) -> dict:
    page.evaluate("""() => { const i = document.createElement('input'); i.type = 'file';
        i.id = 'bench-original'; i.hidden = true; document.body.append(i); }""")
    page.locator("#bench-original").set_input_files(str(photo))
    before = len(bodies)
    t0 = time.monotonic()
    answer = page.evaluate(PLAIN_UPLOAD, [event_id])
    seconds = time.monotonic() - t0
    page.wait_for_function("true")  # let requestfinished land
    if answer["status"] != 201:
        raise BenchError(f"the reference upload answered HTTP {answer['status']}")
    return {"seconds": seconds, "body": sum(bodies[before:])}


# --- the report -----------------------------------------------------------------------------

def report(results: dict, original: int) -> int:
    captures, reference = results["captures"], results["reference"]
    median = statistics.median(c["seconds"] for c in captures)
    body = statistics.median(c["body"] for c in captures)
    print()
    print("timeline of the (last) capture, seconds after set_input_files:")
    for text, ms in captures[-1]["timeline"]:
        print(f"  {ms / 1000:6.2f}  {text}")
    print()
    print(f"{'':24} {'time':>8} {'bytes sent':>12} {'of original':>12}")
    print(f"{'capture (this app)':24} {median:7.2f}s {kb(body):>12} {body / original:11.1%}")
    print(f"{'plain upload (reference)':24} {reference['seconds']:7.2f}s "
          f"{kb(reference['body']):>12} {reference['body'] / original:11.1%}")
    print(f"{'original file':24} {'':>8} {kb(original):>12}")
    photo_parts = results["received"]
    print(f"photo part received by the server: {', '.join(kb(n) for n in photo_parts[:-1])} "
          f"(captures), {kb(photo_parts[-1])} (reference)")
    missed = []
    if median >= TARGET_SECONDS:
        missed.append(f"TARGET MISSED: {median:.2f} s to '{REMOVED}' >= {TARGET_SECONDS:.0f} s")
    if body > TARGET_FRACTION * original:
        missed.append(f"TARGET MISSED: {body / original:.1%} of the original's bytes sent "
                      f"> {TARGET_FRACTION:.0%}")
    print()
    print("\n".join(missed) or f"All targets met: < {TARGET_SECONDS:.0f} s and <= "
          f"{TARGET_FRACTION:.0%} of the original's bytes.")
    return 0


def kb(n: float) -> str:
    return f"{n / 1024:,.0f} KB"


if __name__ == "__main__":
    try:
        sys.exit(main(sys.argv[1:]))
    except BenchError as exc:
        print(f"bench/upload.py: {exc}", file=sys.stderr)
        sys.exit(2)
