"""Shared fixtures: a fresh app per test on its own SQLite file, signed-in clients, a browser."""

from __future__ import annotations

import os
import re
import shutil
import threading
from datetime import UTC, datetime
from pathlib import Path

import pytest
from werkzeug.serving import make_server

from trip_companion import accounts, create_app, db, demo
from trip_companion.models import Role, User

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared"
ARTIFACTS = ROOT / "test-artifacts"
PASSWORD = "correct horse battery staple"
EMAILS = {role: email for role, email, _name in demo.PEOPLE}
CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                 "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run", "--disable-quic"]


def shared_path(*parts: str) -> Path:
    """A path under ../shared/, or skip the test saying why (fail in CI, where it is)."""
    from tests.prerequisites import missing

    path = SHARED.joinpath(*parts)
    if not path.exists():
        missing(f"{path} is not here: ../shared/ sits beside the checkout in CI "
                "and on developer machines")
    return path


@pytest.fixture(scope="session")
def migrated_template(tmp_path_factory) -> Path:
    """One database migrated by Alembic; each test gets a copy (fast, and still real)."""
    path = tmp_path_factory.mktemp("template") / "template.sqlite3"
    db.upgrade(f"sqlite:///{path}")
    return path


def build_app(data_dir: Path, template: Path, **extra):
    data_dir.mkdir(parents=True, exist_ok=True)
    shutil.copy(template, data_dir / "trip-companion.sqlite3")
    return create_app({"DATA_DIR": str(data_dir), "TESTING": True, "QUEUE_IMMEDIATE": True,
                       **extra})


def seed_demo(app) -> None:
    """The demo school with known passwords for every account."""
    with app.app_context():
        session = app.extensions["trip_companion.sessions"]()
        demo.run(session, datetime.now(UTC))
        known = accounts.hash_password(PASSWORD)
        for user in session.query(User):
            user.password_hash = known
        session.commit()
        session.close()


@pytest.fixture(scope="session")
def demo_template(tmp_path_factory, migrated_template) -> Path:
    """The migrated database with the demo school seeded once (argon2 is slow on purpose)."""
    data_dir = tmp_path_factory.mktemp("demo")
    app = build_app(data_dir, migrated_template)
    seed_demo(app)
    app.extensions["trip_companion.engine"].dispose()
    return data_dir / "trip-companion.sqlite3"


@pytest.fixture
def app(tmp_path, demo_template):
    app = build_app(tmp_path / "data", demo_template)
    yield app
    app.extensions["trip_companion.engine"].dispose()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


@pytest.fixture
def session(app):
    """A session of the test's own, outside any app context (views keep theirs)."""
    s = app.extensions["trip_companion.sessions"]()
    yield s
    s.close()


def csrf_from(html: str) -> str:
    match = re.search(r'name="csrf-token" content="([^"]+)"', html)
    assert match, "page carries no CSRF token"
    return match.group(1)


def approve_pending(app, email: str) -> str | None:
    """As the headteacher would: approve the user's newest pending device; return its code."""
    from trip_companion import devices
    from trip_companion.models import Device, DeviceStatus

    session = app.extensions["trip_companion.sessions"]()
    try:
        user = session.query(User).filter_by(email=email).one()
        device = (session.query(Device).filter_by(user_id=user.id, status=DeviceStatus.PENDING)
                  .order_by(Device.id.desc()).first())
        if device is None:
            return None
        head = session.query(User).filter_by(school_id=user.school_id,
                                             role=Role.HEADTEACHER).first()
        code = devices.approve(session, device, head)
        session.commit()
        return code
    finally:
        session.close()


class Auth:
    """Sign a test client in as one of the demo roles, through the real login form.

    A new device waits for the headteacher (R13); ``approve=True`` plays the headteacher's
    part and types the passcode, so tests of other features start on a trusted device.
    """

    def __init__(self, client):
        self.client = client
        self.token = ""

    def login(self, role: Role | str, password: str = PASSWORD, approve: bool = True):
        email = EMAILS[Role(role)] if role in set(Role) else role
        page = self.client.get("/login")
        token = csrf_from(page.get_data(as_text=True))
        response = self.client.post("/login", data={"email": email, "password": password,
                                                    "csrf_token": token})
        if response.status_code != 302:
            self.token = token
            return response
        self.token = csrf_from(self.client.get("/device/waiting", follow_redirects=True)
                               .get_data(as_text=True))
        code = approve_pending(self.client.application, email) if approve else None
        if code:
            done = self.client.post("/device/passcode", data={"passcode": code,
                                                              "csrf_token": self.token})
            assert done.status_code == 302, done.get_data(as_text=True)
        return response

    def post(self, url: str, **kwargs):
        if not self.token:
            self.token = csrf_from(self.client.get("/login").get_data(as_text=True))
        headers = {"X-CSRFToken": self.token, **kwargs.pop("headers", {})}
        return self.client.post(url, headers=headers, **kwargs)


@pytest.fixture
def auth(client):
    return Auth(client)


# --- a real server on 127.0.0.1 and the real Chromium -------------------------------------

@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: install Debian's chromium (bin/test does)")
    return {**browser_type_launch_args, "executable_path": CHROMIUM, "args": CHROMIUM_ARGS}


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args):
    return {**browser_context_args, "viewport": {"width": 390, "height": 844},
            "device_scale_factor": 3, "is_mobile": True, "has_touch": True}


class LiveServer:
    def __init__(self, app):
        self.app = app
        self.server = make_server("127.0.0.1", 0, app, threaded=True)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.thread.join(5)


@pytest.fixture
def live_server(app):
    with LiveServer(app) as server:
        yield server


def browser_login(page, base_url: str, role: Role, app=None) -> None:
    """Sign in through the form; on a new device, get the passcode approved and type it."""
    page.goto(f"{base_url}/login")
    page.fill("#email", EMAILS[role])
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(lambda url: url.endswith("/") or "/device/waiting" in url)
    if "/device/waiting" in page.url:
        assert app is not None, "pass app= so the headteacher's approval can be played"
        code = approve_pending(app, EMAILS[role])
        page.fill("#passcode", code)
        page.get_by_role("button", name="Approve this device").click()
        page.wait_for_url(f"{base_url}/")


@pytest.fixture
def fake_x():
    """The fake X API on loopback (tests/publish/fakes), for the adapter and the queue."""
    from tests.publish.fakes.x_api import FakeX

    with FakeX() as fake:
        yield fake


@pytest.fixture(scope="session")
def pg_cluster():
    """A real PostgreSQL server on loopback for the session (skipped where none is installed)."""
    from tests.pg import Cluster

    cluster = Cluster()
    cluster.start()
    yield cluster
    cluster.stop()


@pytest.fixture
def pg_url(pg_cluster, request):
    """A fresh, empty PostgreSQL database for one test."""
    name = "t_" + re.sub(r"\W", "_", request.node.name)[:40].lower() + f"_{os.getpid()}"
    return pg_cluster.create_database(name)


def receive_photo(app, role: Role, client_id: str, data: bytes | None = None) -> int:
    """A photo received from a trusted device of ``role`` for the demo trip; its id."""
    from tests.images import gps_jpeg
    from trip_companion import photos
    from trip_companion.media import Limits
    from trip_companion.models import Device, DeviceStatus, Event

    runtime = app.extensions["trip_companion.runtime"]
    with runtime.sessions() as s:
        user = s.query(User).filter_by(role=role).one()
        event = s.query(Event).filter(Event.title.like("Year 6%")).one()
        device = Device(school_id=user.school_id, user_id=user.id, name="test phone",
                        token_hash=os.urandom(32).hex(), status=DeviceStatus.TRUSTED)
        s.add(device)
        s.flush()
        receipt = photos.receive(s, runtime.store, user=user, device=device, event=event,
                                 client_id=client_id, data=data or gps_jpeg(),
                                 source=photos.PhotoSource.CAMERA, limits=Limits())
        return receipt.photo_id


def wait_for_htmx(page, selector: str, timeout_ms: int = 10_000) -> None:
    """Wait until htmx has wired ``selector`` (after a boosted swap), so typing triggers it.

    Polls with evaluate: wait_for_function would eval a string, which our CSP forbids.
    """
    locator = page.locator(selector)
    locator.wait_for()
    for _ in range(timeout_ms // 50):
        if locator.evaluate("el => 'htmx-internal-data' in el"):
            return
        page.wait_for_timeout(50)
    raise AssertionError(f"htmx never processed {selector}")
