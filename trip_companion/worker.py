"""The durable job queue (huey): scheduled posts go out at their time, retries wait as the
network asks, and nothing is lost when a worker dies.

SQLite storage inside the data dir by default; Redis when ``TRIP_COMPANION_REDIS_URL`` is
set, for several app and worker processes on several machines.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from huey import Huey, RedisHuey, SqliteHuey, crontab

from trip_companion import connections, delivery, retention
from trip_companion.models import utcnow
from trip_companion.runtime import Runtime

log = logging.getLogger(__name__)


class Queue:
    """The app's queue: ``kick()`` runs a sweep now; the periodic sweep runs every minute."""

    def __init__(self, config: Mapping[str, Any], runtime: Runtime) -> None:
        self.config, self.runtime = config, runtime
        self.huey = make_huey(config)
        self.deliver = self.huey.task(name="deliver")(self._deliver)
        self.sweep = self.huey.task(name="sweep")(self._sweep)
        self.huey.periodic_task(crontab(), name="sweep-every-minute")(self._sweep)
        # Hourly, off the minute sweep's hot path: connection health and retention.
        self.huey.periodic_task(crontab(minute="17"), name="check-connections")(
            self._check_connections)
        self.huey.periodic_task(crontab(minute="23"), name="retention")(self._retention)

    def kick(self) -> None:
        """Enqueue a sweep, so a post due now goes out without waiting for the minute."""
        self.sweep()

    def _deliver(self, delivery_id: int) -> str:
        with self.runtime.sessions() as db:
            outcome = delivery.run(db, self.runtime, delivery_id, utcnow(), self.config)
            if outcome == "retry":
                row = db.get(delivery.Delivery, delivery_id)
                self.deliver.schedule((delivery_id,), eta=row.next_attempt_at)
        return outcome

    def _sweep(self) -> int:
        with self.runtime.sessions() as db:
            ready = delivery.due(db, utcnow())
            delivery.remind_unapproved(db, utcnow(), self.config)
        for delivery_id in ready:
            self.deliver(delivery_id)
        return len(ready)

    def _retention(self) -> int:
        with self.runtime.sessions() as db:
            return retention.discard_expired(db, self.runtime.store, utcnow())

    def _check_connections(self) -> int:
        with self.runtime.sessions() as db:
            return len(connections.check_all(db, self.runtime, utcnow(), self.config))

    def consumer(self, workers: int = 2):
        return self.huey.create_consumer(workers=workers, worker_type="thread",
                                         periodic=True, check_worker_health=True)


def make_huey(config: Mapping[str, Any]) -> Huey:
    """SQLite-backed by default, Redis when configured; immediate mode for tests."""
    immediate = bool(config.get("QUEUE_IMMEDIATE", False))
    if config.get("REDIS_URL"):
        return RedisHuey("trip-companion", url=config["REDIS_URL"], immediate=immediate)
    path = Path(config["DATA_DIR"]) / "queue.sqlite3"
    return SqliteHuey("trip-companion", filename=str(path), immediate=immediate,
                      immediate_use_memory=True)
