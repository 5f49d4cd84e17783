"""The whole app on S3 (moto's real S3 server on 127.0.0.1): upload, thumbnail, feed image."""

from __future__ import annotations

import boto3
import pytest
from botocore.config import Config

from tests.conftest import Auth, build_app
from tests.images import gps_jpeg, has_exif
from tests.test_capture_api import trip, upload
from trip_companion.models import Role


@pytest.fixture
def s3(monkeypatch):
    from moto.server import ThreadedMotoServer

    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
        monkeypatch.setenv(name, "testing")  # never real keys
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    endpoint = f"http://{host}:{port}"
    client = boto3.client("s3", endpoint_url=endpoint, region_name="eu-west-2",
                          config=Config(s3={"addressing_style": "path"}))
    client.create_bucket(Bucket="school-photos",
                         CreateBucketConfiguration={"LocationConstraint": "eu-west-2"})
    yield endpoint, client
    server.stop()


def test_photos_live_in_s3_and_only_clean(tmp_path, demo_template, s3):
    endpoint, client = s3
    app = build_app(tmp_path / "s3", demo_template, STORAGE="s3", S3_BUCKET="school-photos",
                    S3_ENDPOINT_URL=endpoint, S3_REGION="eu-west-2")
    teacher = Auth(app.test_client())
    teacher.login(Role.STAFF)
    session = app.extensions["trip_companion.sessions"]()
    receipt = upload(teacher, trip(session).id, gps_jpeg()).get_json()
    keys = [o["Key"] for o in client.list_objects_v2(Bucket="school-photos")["Contents"]]
    assert len(keys) == 1 and keys[0].startswith("photos/")
    stored = client.get_object(Bucket="school-photos", Key=keys[0])["Body"].read()
    assert not has_exif(stored) and b"iPhone" not in stored
    thumb = teacher.client.get(f"/photos/{receipt['photo_id']}/thumb.jpg")
    assert thumb.status_code == 200 and not has_exif(thumb.data)
    assert not (tmp_path / "s3" / "media").exists()  # nothing on the local disk
    session.close()
