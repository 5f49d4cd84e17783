"""The trip-companion command: demo, users, pupils, configuration."""

from __future__ import annotations

import os
import stat

from trip_companion import config
from trip_companion.models import Event, Pupil, School, User

GOOD_CSV = """\ufeffForename,Legal Surname,Preferred Name,Reg Group,Photo Consent,Name Consent
Josh,Smith,,Year 4,Yes,No
Amélie,Durand,Millie,Year 5,N,Y
"""


def counts(session):
    return tuple(session.query(m).count() for m in (School, User, Event, Pupil))


def test_demo_twice_duplicates_nothing(app, runner, session):
    before = counts(session)
    assert before[0] == 1 and before[1] == 4 and before[2] == 2 and 25 <= before[3] <= 35
    result = runner.invoke(args=["demo"])
    assert result.exit_code == 0, result.output
    assert "already exist" in result.output
    session.expire_all()
    assert counts(session) == before


def test_demo_prints_logins_once(tmp_path, migrated_template):
    from tests.conftest import build_app

    app = build_app(tmp_path / "fresh", migrated_template)
    first = app.test_cli_runner().invoke(args=["demo"])
    assert first.exit_code == 0 and first.output.count("@demo.school") == 4
    second = app.test_cli_runner().invoke(args=["demo"])
    assert "@demo.school" not in second.output.replace("--email E", "")


def test_users_add_with_password_stdin(runner, session):
    result = runner.invoke(args=["users", "add", "--email", "New.Teacher@demo.school",
                                 "--role", "staff", "--name", "Mr New", "--password-stdin"],
                           input="a long enough password\n")
    assert result.exit_code == 0, result.output
    user = session.query(User).filter_by(email="new.teacher@demo.school").one()
    assert user.role.value == "staff" and user.password_hash.startswith("$argon2id$")


def test_users_add_refuses_short_password_and_duplicates(runner):
    short = runner.invoke(args=["users", "add", "--email", "x@demo.school", "--role", "staff",
                                "--name", "X", "--password-stdin"], input="short\n")
    assert short.exit_code != 0 and "at least" in short.output
    dup = runner.invoke(args=["users", "add", "--email", "head@demo.school", "--role", "staff",
                              "--name", "X", "--password-stdin"], input="long password here\n")
    assert dup.exit_code != 0 and "already has an account" in dup.output


def test_users_add_rejects_unknown_role(runner):
    result = runner.invoke(args=["users", "add", "--email", "x@demo.school", "--role", "admin",
                                 "--name", "X", "--password-stdin"], input="long password!!\n")
    assert result.exit_code == 2


def test_pupils_import(runner, session, tmp_path):
    path = tmp_path / "register.csv"
    path.write_text(GOOD_CSV, encoding="utf-8")
    before = session.query(Pupil).count()
    result = runner.invoke(args=["pupils", "import", str(path)])
    assert result.exit_code == 0, result.output
    assert "1 new, 1 updated" in result.output  # Josh Smith, Year 4 is in the demo register
    millie = session.query(Pupil).filter_by(surname="Durand").one()
    assert (millie.preferred_name, millie.photo_consent, millie.name_consent) == \
        ("Millie", False, True)
    assert session.query(Pupil).count() == before + 1


def test_pupils_import_bad_row_imports_nothing(runner, session, tmp_path):
    path = tmp_path / "register.csv"
    path.write_text("First name,Surname,Class,Photo consent,Name consent\n"
                    "Ada,Lovelace,Year 5,yes,no\n"
                    "Alan,Turing,Year 5,maybe,no\n"
                    ",Hopper,Year 6,yes,yes\n", encoding="utf-8")
    before = session.query(Pupil).count()
    result = runner.invoke(args=["pupils", "import", str(path)])
    assert result.exit_code != 0
    assert "line 3" in result.output and "maybe" in result.output and "line 4" in result.output
    session.expire_all()
    assert session.query(Pupil).count() == before
    assert session.query(Pupil).filter_by(surname="Lovelace").count() == 0


def test_pupils_import_missing_column(runner, tmp_path):
    path = tmp_path / "register.csv"
    path.write_text("First name,Surname,Class\nAda,Lovelace,Year 5\n", encoding="utf-8")
    result = runner.invoke(args=["pupils", "import", str(path)])
    assert result.exit_code != 0 and "photo consent" in result.output


def test_secret_key_is_generated_once_with_private_mode(tmp_path, monkeypatch):
    monkeypatch.setenv("TRIP_COMPANION_DATA_DIR", str(tmp_path / "inst"))
    monkeypatch.delenv("TRIP_COMPANION_SECRET_KEY", raising=False)
    first = config.load()
    key_file = tmp_path / "inst" / "secret_key"
    assert stat.S_IMODE(os.stat(key_file).st_mode) == 0o600
    assert config.load()["SECRET_KEY"] == first["SECRET_KEY"] and len(first["SECRET_KEY"]) > 40
    assert first["DATABASE_URL"] == f"sqlite:///{tmp_path / 'inst' / 'trip-companion.sqlite3'}"


def test_environment_overrides(tmp_path, monkeypatch):
    monkeypatch.setenv("TRIP_COMPANION_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("TRIP_COMPANION_DATABASE_URL", "postgresql+psycopg://a@127.0.0.1/b")
    monkeypatch.setenv("TRIP_COMPANION_TRUSTED_PROXIES", "1")
    loaded = config.load()
    assert loaded["DATABASE_URL"].startswith("postgresql")
    assert loaded["TRUSTED_PROXIES"] == 1
