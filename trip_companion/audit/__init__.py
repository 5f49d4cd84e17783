"""The audit trail (R17): append-only and hash-chained per school.

Every entry's hash covers its own fields and the previous entry's hash, so changing or
removing any row breaks the chain from that row on; ``verify`` names the first break.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from trip_companion.models import AuditEntry, AuditHead, utcnow

__all__ = ["AuditEntry", "Verdict", "record", "verify"]

GENESIS = "0" * 64


def _digest(entry: AuditEntry) -> str:
    body = json.dumps([entry.school_id, entry.seq, entry.at.isoformat(), entry.action,
                       entry.security, entry.actor_id, entry.actor_name, entry.device_id,
                       entry.subject, entry.details, entry.prev_hash],
                      separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(body.encode()).hexdigest()


def record(db: Session, school_id: int, action: str, *, actor=None, device=None,
           subject: str = "", details: dict | None = None, security: bool = False,
           at: datetime | None = None) -> AuditEntry:
    """Append one entry in the caller's transaction; it commits or rolls back with the act."""
    head = _lock_head(db, school_id)
    entry = AuditEntry(school_id=school_id, seq=head.seq, action=action, security=security,
                       actor_id=getattr(actor, "id", None),
                       actor_name=getattr(actor, "name", "") or "",
                       device_id=getattr(device, "id", None), subject=subject,
                       details=json.dumps(details or {}, sort_keys=True, default=str),
                       prev_hash=head.hash,
                       at=(at or utcnow()).astimezone(UTC).replace(microsecond=0))
    entry.hash = _digest(entry)
    head.hash = entry.hash
    db.add(entry)
    db.flush()
    return entry


def _lock_head(db: Session, school_id: int) -> AuditHead:
    """Take the school's chain head for writing (the UPDATE locks it) and advance it."""
    bumped = db.execute(update(AuditHead).where(AuditHead.school_id == school_id)
                        .values(seq=AuditHead.seq + 1)).rowcount
    if not bumped:
        db.add(AuditHead(school_id=school_id, seq=1, hash=GENESIS))
        db.flush()
    head = db.get(AuditHead, school_id, populate_existing=True)
    return head


@dataclass(frozen=True)
class Verdict:
    ok: bool
    checked: int
    message: str
    first_bad: int | None = None  # seq of the first entry that was changed or removed


def verify(db: Session, school_id: int) -> Verdict:
    """Walk the chain; name the first entry that was changed, removed or inserted."""
    expected_prev, expected_seq, checked = GENESIS, 1, 0
    for entry in db.scalars(select(AuditEntry).where(AuditEntry.school_id == school_id)
                            .order_by(AuditEntry.seq)):
        if entry.seq != expected_seq:
            return Verdict(False, checked, f"entry {expected_seq} is missing (removed); "
                           f"the next one is {entry.seq}", expected_seq)
        if entry.prev_hash != expected_prev or _digest(entry) != entry.hash:
            return Verdict(False, checked, f"entry {entry.seq} (id {entry.id}, "
                           f"{entry.action}) was changed", entry.seq)
        expected_prev, expected_seq, checked = entry.hash, expected_seq + 1, checked + 1
    head = db.get(AuditHead, school_id)
    if head is not None and (head.seq != checked or head.hash != expected_prev):
        return Verdict(False, checked, f"entries after {checked} were removed "
                       f"(the chain head says {head.seq})", checked + 1)
    return Verdict(True, checked, f"{checked} entries, chain intact")
