"""R10 retention: clean copies go after the school's period, unless a pending post needs them."""

from __future__ import annotations

from datetime import timedelta

from tests.conftest import receive_photo
from trip_companion import compose, retention
from trip_companion.models import AuditEntry, Photo, Role, User, utcnow


def test_old_clean_copies_are_discarded_but_not_ones_a_post_still_needs(app):
    runtime = app.extensions["trip_companion.runtime"]
    used = receive_photo(app, Role.STAFF, "retention-used")
    unused = receive_photo(app, Role.STAFF, "retention-unused")
    with runtime.sessions() as s:
        teacher = s.query(User).filter_by(role=Role.STAFF).one()
        post = compose.start(s, teacher, s.get(Photo, used).event)
        compose.save(s, post, caption="Year 6 on the lake.", photo_ids=[used],
                     alt_texts={used: "Canoes on the lake"}, faces={used: False})
        s.commit()
        keys = {pid: s.get(Photo, pid).storage_key for pid in (used, unused)}
        later = utcnow() + timedelta(days=31)
        assert retention.discard_expired(s, runtime.store, utcnow()) == 0  # too young
        assert retention.discard_expired(s, runtime.store, later) == 1
        assert s.get(Photo, unused).storage_key is None and not runtime.store.exists(
            keys[unused])
        assert s.get(Photo, used).storage_key == keys[used]  # the draft still needs it
        assert runtime.store.exists(keys[used])
        assert s.query(AuditEntry).filter_by(action="photo.discarded").count() == 1
