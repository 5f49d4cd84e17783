"""The same code on PostgreSQL: migrations, demo data, sign-in, the register import."""

from __future__ import annotations

from tests.conftest import PASSWORD, Auth
from trip_companion import accounts, audit, create_app, db, demo, register
from trip_companion.models import Event, Pupil, Role, User, utcnow


def test_migrate_demo_and_sign_in_on_postgres(tmp_path, pg_url):
    db.upgrade(pg_url)
    app = create_app({"DATA_DIR": str(tmp_path), "DATABASE_URL": pg_url, "TESTING": True})
    engine = app.extensions["trip_companion.engine"]
    assert engine.dialect.name == "postgresql"
    session = app.extensions["trip_companion.sessions"]()
    demo.run(session, utcnow())
    demo.run(session, utcnow())
    for user in session.query(User):
        user.password_hash = accounts.hash_password(PASSWORD)
    session.commit()
    assert session.query(User).count() == 4 and session.query(Event).count() == 2

    auth = Auth(app.test_client())
    assert auth.login(Role.STAFF).status_code == 302
    assert "Year 6 residential" in auth.client.get("/").get_data(as_text=True)
    assert audit.verify(session, session.query(User).first().school_id).ok

    start = session.query(Event).first().starts_at
    assert start.tzinfo is not None  # aware datetimes survive the round trip
    session.close()
    engine.dispose()


def test_register_import_is_all_or_nothing_on_postgres(tmp_path, pg_url):
    db.upgrade(pg_url)
    app = create_app({"DATA_DIR": str(tmp_path), "DATABASE_URL": pg_url, "TESTING": True})
    runner = app.test_cli_runner()
    assert runner.invoke(args=["demo"]).exit_code == 0
    csv_file = tmp_path / "r.csv"
    csv_file.write_text("First name,Surname,Class,Photo consent,Name consent\n"
                        "Ada,Lovelace,Year 5,yes,no\nAlan,Turing,,yes,no\n")
    result = runner.invoke(args=["pupils", "import", str(csv_file)])
    assert result.exit_code != 0 and "line 3" in result.output
    session = app.extensions["trip_companion.sessions"]()
    assert session.query(Pupil).filter_by(surname="Lovelace").count() == 0
    rows = register.parse("First name,Surname,Class,Photo consent,Name consent\n"
                          "Ada,Lovelace,Year 5,yes,no\n")
    school = session.query(User).first().school
    assert register.import_rows(session, school, rows) == (1, 0)
    session.commit()
    session.close()
    app.extensions["trip_companion.engine"].dispose()
