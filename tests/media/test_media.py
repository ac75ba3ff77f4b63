"""Media uploads: the type comes from the content, limits hold, nothing is half-written, and a
file is its uploader's until attached, then its case's readers'."""

from __future__ import annotations

import hashlib
import io
import os
import struct
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import shapely
from fastapi.testclient import TestClient
from PIL import ExifTags, Image
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from gridgov.accounts.actor import Actor
from gridgov.app import create_app
from gridgov.events.models import Event
from gridgov.media import files, services
from gridgov.media.models import Media
from tests.conftest import Auth, make_settings

Fresh = tuple[TestClient, Auth, Engine]
WORKER = "gw_370811002001001"  # 许庄街道, community 370811002001
GRID = "370811002001001"


@pytest.fixture(scope="module")
def ctx(fresh_events: Fresh) -> Fresh:
    return fresh_events


# Files made the way a phone or a forger would make them.


def jpeg(size: tuple[int, int] = (800, 600), *, orientation: int | None = None) -> bytes:
    image = Image.new("RGB", size, (200, 40, 40))
    image.paste((20, 20, 220), (0, 0, size[0] // 2, size[1] // 4))  # a mark: top-left, blue
    exif = Image.Exif()
    if orientation is not None:
        exif[ExifTags.Base.Orientation] = orientation
    exif[ExifTags.Base.Make] = "TestPhone"
    gps = exif.get_ifd(ExifTags.IFD.GPSInfo)
    gps[ExifTags.GPS.GPSLatitudeRef] = "N"
    gps[ExifTags.GPS.GPSLatitude] = (36.0, 48.0, 1.5)
    out = io.BytesIO()
    image.save(out, "JPEG", exif=exif, quality=90)
    return out.getvalue()


def png(size: tuple[int, int] = (64, 48)) -> bytes:
    out = io.BytesIO()
    Image.new("RGBA", size, (0, 128, 0, 128)).save(out, "PNG")
    return out.getvalue()


def box(kind: bytes, payload: bytes) -> bytes:
    return struct.pack(">I", 8 + len(payload)) + kind + payload


def mp4(brand: bytes = b"isom") -> bytes:
    return (
        box(b"ftyp", brand + b"\x00\x00\x02\x00" + brand + b"mp41")
        + box(b"moov", box(b"mvhd", bytes(100)))
        + box(b"mdat", os.urandom(4000))
    )


def webm() -> bytes:
    children = b"\x42\x86\x81\x01" + b"\x42\x82\x84webm"  # EBMLVersion 1, DocType "webm"
    header = b"\x1a\x45\xdf\xa3" + bytes([0x80 | len(children)]) + children
    body = os.urandom(3000)
    return header + b"\x18\x53\x80\x67" + b"\x01" + len(body).to_bytes(7, "big") + body


def upload(
    client: TestClient,
    headers: dict[str, str],
    data: bytes,
    filename: str = "photo.jpg",
    content_type: str = "image/jpeg",
) -> Any:
    return client.post(
        "/api/v1/media", files={"file": (filename, data, content_type)}, headers=headers
    )


def stored_files(client: TestClient) -> set[Path]:
    root: Path = client.app.state.settings.effective_media_dir  # type: ignore[attr-defined]
    return {p for p in root.rglob("*") if p.is_file()} if root.exists() else set()


def media_rows(engine: Engine) -> int:
    with Session(engine) as session:
        return session.scalar(select(func.count()).select_from(Media)) or 0


def inside(client: TestClient, auth: Auth, grid: str = GRID) -> dict[str, float]:
    body = client.get(f"/api/v1/regions/{grid}", headers=auth("admin")).json()
    point = shapely.geometry.shape(body["geometry"]).representative_point()
    return {"lon": point.x, "lat": point.y}


def report(
    client: TestClient, headers: dict[str, str], where: dict[str, float], **extra: Any
) -> Any:
    body = {"title": "路边垃圾堆放", "source": "grid_worker", "location": where, **extra}
    return client.post("/api/v1/events", json=body, headers=headers)


# Upload: type by content, hash, size, dimensions, thumbnail.


def test_a_photo_is_stored_with_hash_size_upright_dimensions_and_a_clean_thumbnail(
    ctx: Fresh,
) -> None:
    client, auth, _ = ctx
    worker = auth(WORKER)
    data = jpeg((800, 600), orientation=6)  # taken sideways: shown 600 wide, 800 high
    response = upload(client, worker, data, filename="../../etc/passwd.jpg")
    assert response.status_code == 201, response.text
    media = response.json()
    assert (media["kind"], media["content_type"]) == ("image", "image/jpeg")
    assert media["sha256"] == hashlib.sha256(data).hexdigest()
    assert media["size_bytes"] == len(data)
    assert (media["width"], media["height"]) == (600, 800)
    assert media["attached"] is False and media["uploader"] == WORKER

    original = client.get(media["url"], headers=worker)
    assert original.status_code == 200 and original.content == data
    assert original.headers["content-type"] == "image/jpeg"
    assert original.headers["etag"] == f'"{media["sha256"]}"'
    assert original.headers["x-content-type-options"] == "nosniff"
    assert "private" in original.headers["cache-control"]
    again = client.get(media["url"], headers={**worker, "If-None-Match": original.headers["etag"]})
    assert again.status_code == 304 and again.content == b""

    thumb = client.get(media["thumbnail_url"], headers=worker)
    assert thumb.status_code == 200 and thumb.headers["content-type"] == "image/jpeg"
    with Image.open(io.BytesIO(thumb.content)) as image:
        assert image.format == "JPEG"
        assert image.size == (240, 320)  # upright, longest side 320
        assert dict(image.getexif()) == {}  # no orientation, camera or GPS left
        # The blue mark was top-left; turned upright (90° clockwise) it is top-right.
        r, _, b = image.convert("RGB").getpixel((230, 10))  # type: ignore[misc]
        assert b > 150 and r < 100

    # Named by a random key: nothing of the client's file name reaches the disk.
    names = {p.name for p in stored_files(client)}
    assert not any("passwd" in n for n in names)


def test_a_png_named_mp4_is_an_image_and_text_named_jpg_is_refused(ctx: Fresh) -> None:
    client, auth, engine = ctx
    worker = auth(WORKER)
    as_video = upload(client, worker, png(), filename="clip.mp4", content_type="video/mp4")
    assert as_video.status_code == 201, as_video.text
    assert (as_video.json()["kind"], as_video.json()["content_type"]) == ("image", "image/png")
    assert client.get(as_video.json()["url"], headers=worker).headers["content-type"] == "image/png"

    files_before, rows_before = stored_files(client), media_rows(engine)
    for name, data in (
        ("photo.jpg", "这不是照片，是一段文字。".encode() * 20),
        ("photo.jpg", b"<svg xmlns='http://www.w3.org/2000/svg'><script>alert(1)</script></svg>"),
        ("photo.heic", mp4(brand=b"heic")),  # same container as MP4, but a HEIF photo
        ("empty.jpg", b""),
    ):
        refused = upload(client, worker, data, filename=name)
        assert refused.status_code == 415, (name, refused.text)
        assert refused.json()["error"]["code"] == "unsupported_media_type"
    assert stored_files(client) == files_before and media_rows(engine) == rows_before


def test_truncated_or_forged_files_are_refused_and_leave_nothing(ctx: Fresh) -> None:
    client, auth, engine = ctx
    worker = auth(WORKER)
    files_before, rows_before = stored_files(client), media_rows(engine)
    whole = jpeg((640, 480))
    video = mp4()
    for name, data in (
        ("cut.jpg", whole[: len(whole) // 2]),  # the upload broke off half-way
        ("magic.jpg", b"\xff\xd8\xff\xe0" + os.urandom(2000)),  # only the magic is real
        ("cut.png", png((300, 300))[:200]),
        ("cut.mp4", video[:-1000]),  # the movie data is short of its declared size
        ("fake.mp4", video[:32] + b"just text after a real-looking header" * 20),
        ("cut.webm", webm()[:-10]),
    ):
        refused = upload(client, worker, data, filename=name, content_type="application/x-test")
        assert refused.status_code == 415, (name, refused.text)
    assert stored_files(client) == files_before and media_rows(engine) == rows_before


def test_videos_are_recognised_by_their_container(ctx: Fresh) -> None:
    client, auth, _ = ctx
    worker = auth(WORKER)
    for data, expected in (
        (mp4(), "video/mp4"),
        (mp4(brand=b"qt  "), "video/quicktime"),
        (webm(), "video/webm"),
    ):
        response = upload(client, worker, data, filename="x.bin", content_type="text/plain")
        assert response.status_code == 201, response.text
        media = response.json()
        assert (media["kind"], media["content_type"]) == ("video", expected)
        assert media["thumbnail_url"] is None and media["width"] is None
        served = client.get(media["url"], headers=worker)
        assert served.content == data and served.headers["content-type"] == expected
        part = client.get(media["url"], headers={**worker, "Range": "bytes=0-99"})
        assert part.status_code == 206 and part.content == data[:100]
        no_thumb = client.get(f"{media['url']}/thumbnail", headers=worker)
        assert no_thumb.status_code == 404


def test_the_request_must_carry_one_file(ctx: Fresh) -> None:
    client, auth, _ = ctx
    worker = auth(WORKER)
    as_json = client.post("/api/v1/media", json={"file": "x"}, headers=worker)
    assert as_json.status_code == 422 and as_json.json()["error"]["code"] == "file_required"
    no_file = client.post(
        "/api/v1/media", data={"note": "x"}, files={"other": ("a", b"b")}, headers=worker
    )
    assert no_file.json()["error"]["code"] == "file_required"
    two = client.post(
        "/api/v1/media",
        files=[("file", ("a.png", png(), "image/png")), ("file", ("b.png", png(), "image/png"))],
        headers=worker,
    )
    assert two.status_code == 422 and two.json()["error"]["code"] == "one_file_only"
    anonymous = client.post("/api/v1/media", files={"file": ("a.png", png(), "image/png")})
    assert anonymous.status_code == 401


@pytest.fixture
def small_limits(ctx: Fresh, tmp_path: Path) -> Iterator[TestClient]:
    """The same district served with tiny limits: 20 KB photos, 10 KB videos, 1 megapixel."""
    _, _, engine = ctx
    settings = make_settings(
        tmp_path,
        engine.url.render_as_string(hide_password=False),
        media_max_image_mb=20 / 1024,
        media_max_video_mb=10 / 1024,
        media_max_megapixels=1,
    )
    with TestClient(create_app(settings, engine)) as client:
        yield client


def test_too_large_files_and_pixel_bombs_are_refused_with_413(
    ctx: Fresh, small_limits: TestClient
) -> None:
    _, auth, engine = ctx
    client = small_limits
    worker = auth(WORKER)
    rows_before = media_rows(engine)
    noisy = Image.frombytes("RGB", (300, 300), os.urandom(300 * 300 * 3))
    out = io.BytesIO()
    noisy.save(out, "PNG")
    big_photo = out.getvalue()
    assert len(big_photo) > 20 * 1024
    bomb = io.BytesIO()
    Image.new("L", (2000, 1000)).save(bomb, "PNG")  # 2 megapixels in a few KB
    assert len(bomb.getvalue()) < 20 * 1024
    big_video = mp4() + box(b"free", bytes(12 * 1024))
    for data in (big_photo, bomb.getvalue(), big_video):
        refused = upload(client, worker, data)
        assert refused.status_code == 413, refused.text
        assert refused.json()["error"]["code"] == "media_too_large"
    assert stored_files(client) == set() and media_rows(engine) == rows_before
    fits = upload(client, worker, png())
    assert fits.status_code == 201


# Attaching and reading.


def test_intake_with_media_shows_it_in_the_case_and_its_readers_only(ctx: Fresh) -> None:
    client, auth, engine = ctx
    worker = auth(WORKER)
    photo = upload(client, worker, jpeg()).json()
    clip = upload(client, worker, mp4(), filename="clip.mp4").json()
    # Before it is attached a file is its uploader's alone, even for district-wide roles.
    for other in ("operator", "street_xuzhuang", "citizen1"):
        assert client.get(photo["url"], headers=auth(other)).status_code == 404
        assert client.get(f"{photo['url']}/meta", headers=auth(other)).status_code == 404

    created = report(client, worker, inside(client, auth), media_ids=[photo["id"], clip["id"]])
    assert created.status_code == 201, created.text
    event = created.json()
    assert [(m["id"], m["role"], m["step"]) for m in event["media"]] == [
        (photo["id"], "report", 1),
        (clip["id"], "report", 1),
    ]
    assert event["timeline"][0]["data"]["media_ids"] == [photo["id"], clip["id"]]

    for reader in (WORKER, "street_xuzhuang", "comm_370811002001", "operator", "leader"):
        headers = auth(reader)
        assert client.get(photo["url"], headers=headers).content[:3] == b"\xff\xd8\xff", reader
        assert client.get(photo["thumbnail_url"], headers=headers).status_code == 200
        meta = client.get(f"{photo['url']}/meta", headers=headers).json()
        assert meta["attached"] and meta["role"] == "report"
        detail = client.get(f"/api/v1/events/{event['id']}", headers=headers).json()
        assert [m["id"] for m in detail["media"]] == [photo["id"], clip["id"]]
    # Not theirs to see: another street, another community, a department it was not sent to,
    # a citizen who did not report it. Same answer as for a file that does not exist.
    missing = client.get("/api/v1/media/99999999", headers=auth("street_nanzhang"))
    for outsider in ("street_nanzhang", "comm_370811002002", "dept_cg", "citizen1"):
        headers = auth(outsider)
        for url in (photo["url"], photo["thumbnail_url"], f"{photo['url']}/meta", clip["url"]):
            response = client.get(url, headers=headers)
            assert response.status_code == 404, (outsider, url)
            assert response.json()["error"]["code"] == missing.json()["error"]["code"]
    with Session(engine) as session:
        row = session.get(Media, photo["id"])
        assert row is not None and row.region_path.endswith(f"/{GRID}/")


def test_a_citizen_sees_the_photos_of_their_own_report(ctx: Fresh) -> None:
    client, auth, _ = ctx
    citizen = auth("citizen2")
    photo = upload(client, citizen, png()).json()
    event = report(client, citizen, inside(client, auth), source="citizen", media_ids=[photo["id"]])
    assert event.status_code == 201, event.text
    assert client.get(photo["url"], headers=citizen).status_code == 200
    assert client.get(photo["url"], headers=auth("citizen3")).status_code == 404


def test_someone_elses_or_used_media_is_refused_and_nothing_is_created(ctx: Fresh) -> None:
    client, auth, engine = ctx
    worker = auth(WORKER)
    where = inside(client, auth)
    theirs = upload(client, auth("citizen1"), png()).json()
    mine = upload(client, worker, png()).json()
    with Session(engine) as session:
        events_before = session.scalar(select(func.count()).select_from(Event))
    for ids in ([theirs["id"]], [mine["id"], theirs["id"]], [99999999], [mine["id"], mine["id"]]):
        refused = report(client, worker, where, media_ids=ids)
        assert refused.status_code == 422, refused.text
        assert refused.json()["error"]["code"] == "bad_media"
    with Session(engine) as session:
        assert session.scalar(select(func.count()).select_from(Event)) == events_before
        row = session.get(Media, mine["id"])
        assert row is not None and row.subject_type is None  # still free to use
    used = report(client, worker, where, media_ids=[mine["id"]])
    assert used.status_code == 201
    again = report(client, worker, where, media_ids=[mine["id"]])
    assert again.status_code == 422 and again.json()["error"]["code"] == "bad_media"


def _act(
    client: TestClient, headers: dict[str, str], event: dict[str, Any], action: str, **body: Any
) -> Any:
    return client.post(
        f"/api/v1/events/{event['id']}/actions/{action}",
        json={"version": event["version"], **body},
        headers=headers,
    )


def test_self_settle_needs_the_after_photo(ctx: Fresh) -> None:
    client, auth, _ = ctx
    worker = auth(WORKER)
    before = upload(client, worker, jpeg()).json()
    event = report(client, worker, inside(client, auth), media_ids=[before["id"]]).json()
    no_photo = _act(client, worker, event, "self_settle", comment="已现场清理")
    assert no_photo.status_code == 422
    assert no_photo.json()["error"]["code"] == "fields_required"
    assert no_photo.json()["error"]["details"]["fields"] == ["media_ids"]

    after = upload(client, worker, jpeg((600, 800))).json()
    stale = _act(
        client,
        worker,
        {**event, "version": 99},
        "self_settle",
        comment="x",
        media_ids=[after["id"]],
    )
    assert stale.status_code == 409  # refused: the photo stays unattached, usable again
    assert client.get(f"{after['url']}/meta", headers=worker).json()["attached"] is False

    settled = _act(
        client, worker, event, "self_settle", comment="已现场清理", media_ids=[after["id"]]
    )
    assert settled.status_code == 200, settled.text
    body = settled.json()
    assert body["status"] == "closed"
    step = body["timeline"][-1]
    assert step["action"] == "self_settle" and step["data"]["media_ids"] == [after["id"]]
    assert [(m["id"], m["role"], m["step"]) for m in body["media"]] == [
        (before["id"], "report", 1),
        (after["id"], "after", step["seq"]),
    ]


def test_the_case_page_shows_thumbnails_and_offers_a_file_input(ctx: Fresh) -> None:
    client, auth, _ = ctx
    worker = auth(WORKER)
    photo = upload(client, worker, jpeg()).json()
    event = report(client, worker, inside(client, auth), media_ids=[photo["id"]]).json()
    page = client.get(f"/events/{event['id']}", headers=worker)
    assert page.status_code == 200
    assert f'src="{photo["thumbnail_url"]}"' in page.text
    assert f'href="{photo["url"]}"' in page.text
    assert 'type="file"' in page.text  # the self_settle form takes the after photo


def test_files_placed_by_an_upload_go_when_its_transaction_rolls_back(
    ctx: Fresh, tmp_path: Path
) -> None:
    _, _, engine = ctx
    settings = make_settings(tmp_path, engine.url.render_as_string(hide_password=False))
    actor = Actor.system("media-test")

    def staged_photo() -> files.Staged:
        data = jpeg((400, 300))
        staged = files.new_staged(settings.effective_media_dir)
        with staged.path.open("wb") as handle:
            staged.write(handle, data)
        staged.finish()
        found = files.sniff(data)
        assert found is not None
        staged.kind, staged.content_type = found
        return staged

    def on_disk() -> list[str]:
        root = settings.effective_media_dir
        return sorted(p.name for p in root.rglob("*") if p.is_file())

    with Session(engine) as session:
        media = services.upload(session, staged_photo(), actor=actor, settings=settings)
        assert on_disk() == sorted([media.key, f"{media.key}.thumb.jpg"])
        session.rollback()  # e.g. the commit failed, or a later step of the request raised
    assert on_disk() == []

    with Session(engine) as session:
        key = services.upload(session, staged_photo(), actor=actor, settings=settings).key
        session.commit()
        session.rollback()  # a later transaction of the same session rolls back: kept stays
    assert on_disk() == sorted([key, f"{key}.thumb.jpg"])
