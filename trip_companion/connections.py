"""Connection health: a network account that stops working is noticed, not silently lost.

The worker asks every connected network once an hour; a connection that turns broken or
expiring is flagged on the headteacher's dashboard and emailed to the headteacher.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from trip_companion import accounts, audit, notify
from trip_companion.models import Connection, Role


def probe(runtime, conn: Connection):
    """Ask the network whether the school's stored credentials still work."""
    publisher = runtime.publisher(conn.school_id, conn.network)
    try:
        return publisher.health()
    finally:
        publisher.close()


def check_all(db: Session, runtime, now: datetime, config=None) -> list[Connection]:
    """Refresh every connection's health; return those that just went wrong."""
    worse = []
    for conn in db.scalars(select(Connection)):
        health = probe(runtime, conn)
        # "unreachable" is the network's outage, not the school's: keep the last state.
        state = conn.status if health.state == "unreachable" else health.state
        if state != "ok" and conn.status == "ok":
            worse.append(conn)
            audit.record(db, conn.school_id, "connection.unhealthy", security=True,
                         subject=f"connection:{conn.network}",
                         details={"state": state, "message": health.message})
        conn.status, conn.message, conn.checked_at = state, health.message, now
    db.commit()
    for conn in worse:
        heads = accounts.emails(db, conn.school_id, Role.HEADTEACHER)
        notify.send_mail(config or {}, heads, f"The {conn.network} connection needs you",
                         f"{conn.message}\n\nReconnect it in Trip Companion's Settings.\n")
    return worse
