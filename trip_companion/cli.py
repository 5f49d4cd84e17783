"""The ``trip-companion`` command: Flask's CLI group plus our own commands."""

from __future__ import annotations

import signal
import sys
from contextlib import contextmanager
from pathlib import Path

import click
from flask import Flask, current_app
from flask.cli import FlaskGroup, with_appcontext
from sqlalchemy import select
from sqlalchemy.orm import Session

from trip_companion import accounts, audit, db, demo, profile, register
from trip_companion.models import Role, School, utcnow


def main() -> None:
    """Flask's CLI group with our commands (``trip_companion.main`` hands over to it)."""
    from trip_companion import create_app

    FlaskGroup(create_app=lambda: create_app(),
               help="Trip Companion: school trip photos, posted safely.").main()


def register_commands(app: Flask) -> None:
    app.cli.add_command(db_group)
    app.cli.add_command(demo_command)
    app.cli.add_command(serve_command)
    app.cli.add_command(users_group)
    app.cli.add_command(pupils_group)
    app.cli.add_command(audit_group)
    app.cli.add_command(devices_group)
    app.cli.add_command(worker_command)
    app.cli.add_command(check_command)
    app.cli.add_command(strip_command)


@click.command("strip", add_help_option=False,
               context_settings={"ignore_unknown_options": True})
@click.argument("args", nargs=-1, type=click.UNPROCESSED)
def strip_command(args: tuple[str, ...]) -> None:
    """Write metadata-free copies of photos: strip FILE... --out DIR [--json] [-j N].

    Listed here for --help; ``trip-companion strip`` itself starts without Flask
    (``trip_companion.main``), and both run ``media.cli.main``.
    """
    from trip_companion.media.cli import main as strip

    sys.exit(strip(list(args), prog="trip-companion strip"))


@contextmanager
def session_scope():
    """A session that commits on success and rolls back on any error."""
    session: Session = current_app.extensions["trip_companion.sessions"]()
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


def school_for(session: Session, school_id: int | None) -> School:
    """The school a command acts on: the one given, or the only one there is."""
    if school_id is not None:
        school = session.get(School, school_id)
    else:
        schools = session.scalars(select(School)).all()
        if len(schools) > 1:
            raise click.UsageError("There are several schools: pass --school ID.")
        school = schools[0] if schools else None
    if school is None:
        raise click.UsageError("No school yet: run `trip-companion demo` or add one.")
    return school


@click.group("db")
def db_group() -> None:
    """Manage the database."""


@db_group.command("upgrade")
@with_appcontext
def db_upgrade() -> None:
    """Apply every migration the database is missing."""
    db.upgrade(current_app.config["DATABASE_URL"])
    click.echo("Database is up to date.")


@click.command("demo")
@with_appcontext
def demo_command() -> None:
    """Create (or refresh) the demo school, its staff, events and register."""
    db.upgrade(current_app.config["DATABASE_URL"])
    with session_scope() as session:
        result = demo.run(session, utcnow())
        name = result.school.name
    click.echo(f"Demo school: {name}")
    if result.created_logins:
        click.echo("Logins (shown once; write them down):")
        for role, email, password in result.created_logins:
            click.echo(f"  {role:<14} {email:<24} {password}")
    else:
        click.echo("Demo accounts already exist; their passwords were shown when they were "
                   "made. Reset one with `trip-companion users set-password --email E`.")


@click.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True, type=int)
@click.option("--threads", default=8, show_default=True, type=int)
@click.option("--workers", default=2, show_default=True, type=int,
              help="Queue workers run inside this process (0: run `trip-companion worker`).")
@with_appcontext
def serve_command(host: str, port: int, threads: int, workers: int) -> None:
    """Serve the app with waitress (a production WSGI server) after upgrading the database."""
    import waitress

    db.upgrade(current_app.config["DATABASE_URL"])
    if workers:
        _start_embedded_workers(current_app.extensions["trip_companion.queue"], workers)
    click.echo(f"Trip Companion on http://{host}:{port}/  (Ctrl-C stops it)")
    waitress.serve(current_app._get_current_object(), host=host, port=port, threads=threads)


def _start_embedded_workers(queue, workers: int) -> None:
    """Run queue workers in this process; Ctrl-C and SIGTERM stop them and the server.

    The consumer's own signal handlers only set a flag its run loop reads, and that loop
    doesn't run here, so ours replace them.
    """
    consumer = queue.consumer(workers)
    consumer.start()

    def stop(signum, _frame):
        consumer.stop(graceful=True)
        sys.exit(128 + signum)

    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, stop)


@click.command("worker")
@click.option("--workers", default=2, show_default=True, type=int)
@with_appcontext
def worker_command(workers: int) -> None:
    """Run the job queue: scheduled posts, retries, reminders, retention."""
    db.upgrade(current_app.config["DATABASE_URL"])
    consumer = current_app.extensions["trip_companion.queue"].consumer(workers)
    click.echo(f"Trip Companion worker with {workers} threads (Ctrl-C stops it)")
    consumer.run()


@click.command("check")
@click.argument("caption")
@click.option("--school", "school_id", type=int)
@click.option("--at", "at_text", help="ISO time to check for (default: now).")
@click.option("--event", "event_id", type=int, help="The event the post belongs to.")
@click.option("--network", type=click.Choice(profile.NETWORKS))
@click.option("--role", default="staff", show_default=True,
              type=click.Choice(["staff", "senior_leader", "headteacher"]))
@click.option("--urgent", "urgent_reason", help="Urgent news: the reason (leaders only).")
@click.option("--json", "as_json", is_flag=True)
@with_appcontext
def check_command(caption: str, school_id: int | None, at_text: str | None,
                  event_id: int | None, network: str | None, role: str,
                  urgent_reason: str | None, as_json: bool) -> None:
    """Check a caption against the school's rules; exit 1 when anything blocks."""
    from trip_companion import checks

    with session_scope() as session:
        school = school_for(session, school_id)
        try:
            report = checks.run(session, school, caption, at_text=at_text, event_id=event_id,
                                network=network, role=role, urgent_reason=urgent_reason)
        except ValueError as exc:
            raise click.UsageError(str(exc)) from exc
    if as_json:
        click.echo(report.to_json())
    else:
        click.echo(checks.describe(report))
    sys.exit(1 if report.blocking else 0)


@click.group("users")
def users_group() -> None:
    """Manage staff accounts."""


def _read_password(from_stdin: bool) -> str:
    if from_stdin:
        return sys.stdin.readline().rstrip("\n")
    return click.prompt("Password", hide_input=True, confirmation_prompt=True)


@users_group.command("add")
@click.option("--email", required=True)
@click.option("--name", required=True)
@click.option("--role", required=True, type=click.Choice([r.value for r in Role]))
@click.option("--school", "school_id", type=int)
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input.")
@with_appcontext
def users_add(email: str, name: str, role: str, school_id: int | None,
              password_stdin: bool) -> None:
    """Add a staff account."""
    password = _read_password(password_stdin)
    try:
        with session_scope() as session:
            school = school_for(session, school_id)
            user = accounts.add_user(session, school, email=email, name=name, role=role,
                                     password=password)
            click.echo(f"Added {user.name} <{user.email}> as {user.role.label}.")
    except accounts.AccountError as exc:
        raise click.ClickException(str(exc)) from exc


@users_group.command("set-password")
@click.option("--email", required=True)
@click.option("--school", "school_id", type=int)
@click.option("--password-stdin", is_flag=True)
@with_appcontext
def users_set_password(email: str, school_id: int | None, password_stdin: bool) -> None:
    """Set a new password (this signs the person out everywhere)."""
    password = _read_password(password_stdin)
    try:
        with session_scope() as session:
            user = accounts.find_user(session, school_for(session, school_id), email)
            if user is None:
                raise click.ClickException(f"No account for {email}.")
            accounts.set_password(user, password)
    except accounts.AccountError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo("Password changed.")


@click.group("pupils")
def pupils_group() -> None:
    """Manage the pupil register."""


@pupils_group.command("import")
@click.argument("csv_file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--school", "school_id", type=int)
@with_appcontext
def pupils_import(csv_file: Path, school_id: int | None) -> None:
    """Import the register CSV exported by the school's information system."""
    try:
        rows = register.parse(csv_file.read_text(encoding="utf-8-sig"))
    except UnicodeDecodeError as exc:
        raise click.ClickException("The file isn't UTF-8 text; export it as CSV UTF-8.") from exc
    except register.RegisterError as exc:
        raise click.ClickException(str(exc)) from exc
    with session_scope() as session:
        added, updated = register.import_rows(session, school_for(session, school_id), rows)
    click.echo(f"Imported {len(rows)} pupils: {added} new, {updated} updated.")


@click.group("audit")
def audit_group() -> None:
    """The audit trail (R17)."""


@audit_group.command("verify")
@click.option("--school", "school_id", type=int, help="One school (default: every school).")
@with_appcontext
def audit_verify(school_id: int | None) -> None:
    """Check the hash chain; name the first entry that was changed or removed."""
    with session_scope() as session:
        ids = [school_id] if school_id else list(session.scalars(select(School.id)))
        verdicts = [(i, audit.verify(session, i)) for i in ids]
    for school, verdict in verdicts:
        click.echo(f"school {school}: {'OK' if verdict.ok else 'BROKEN'}: {verdict.message}")
    if not all(v.ok for _, v in verdicts):
        sys.exit(1)


@click.group("devices")
def devices_group() -> None:
    """Devices (R13), for the server's operator."""


@devices_group.command("trust")
@click.option("--email", required=True, help="Whose newest waiting device to trust.")
@click.option("--school", "school_id", type=int)
@with_appcontext
def devices_trust(email: str, school_id: int | None) -> None:
    """Trust someone's waiting device without a passcode (e.g. the headteacher's new phone
    after the only approved one was lost). Recorded in the audit trail."""
    from trip_companion import devices
    from trip_companion.models import Device, DeviceStatus

    with session_scope() as session:
        user = accounts.find_user(session, school_for(session, school_id), email)
        device = user and session.scalar(
            select(Device).where(Device.user_id == user.id,
                                 Device.status == DeviceStatus.PENDING)
            .order_by(Device.id.desc()))
        if device is None:
            raise click.ClickException(f"{email} has no device waiting for approval.")
        devices.trust(session, device)
        audit.record(session, device.school_id, "device.trusted_by_operator", actor=user,
                     device=device, subject=f"device:{device.id}", security=True,
                     details={"name": device.name})
        click.echo(f"Trusted {device.name} for {user.name}.")


if __name__ == "__main__":
    main()
