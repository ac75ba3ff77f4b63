"""Media uploads over HTTP: photo throughput (decode, verify, thumbnail) and a large video
streamed to disk, with the process's peak memory before and after, to show the video is never
held in memory whole.

1. Seeds the territory and accounts into a throwaway SQLite database and serves the real app
   with uvicorn on a local port.
2. Video: one synthetic MP4 of --video-mb MB streamed from a file, first (so the process's
   peak memory has not yet been raised by decoding photos).
3. Photos: N phone-sized JPEGs (4000×3000, EXIF orientation) uploaded one after another.
4. A video over the limit, refused by its declared length.

    python bench/bench_media.py [--photos 30] [--video-mb 100]
"""

from __future__ import annotations

import argparse
import io
import os
import resource
import struct
import tempfile
import threading
import time
from pathlib import Path

import httpx
import uvicorn
from PIL import ExifTags, Image

from gridgov.app import create_app
from gridgov.config import Settings
from gridgov.db import make_engine
from gridgov.seed.context import Tier
from gridgov.seed.runner import seed_database

PASSWORD = "bench-pass-123"
WORKER = "gw_370811002001001"


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux: KiB


def phone_photo() -> bytes:
    image = Image.effect_mandelbrot((4000, 3000), (-2.0, -1.2, 1.0, 1.2), 60).convert("RGB")
    exif = Image.Exif()
    exif[ExifTags.Base.Orientation] = 6
    out = io.BytesIO()
    image.save(out, "JPEG", quality=88, exif=exif)
    return out.getvalue()


def write_video(path: Path, megabytes: int) -> None:
    body = megabytes * 1024 * 1024
    with path.open("wb") as handle:
        handle.write(struct.pack(">I4s4sI8s", 24, b"ftyp", b"isom", 0x200, b"isommp41"))
        handle.write(struct.pack(">I4s", 8 + 100, b"moov") + bytes(100))
        handle.write(struct.pack(">I4s", 8 + body, b"mdat"))
        chunk = os.urandom(1024 * 1024)
        for _ in range(megabytes):
            handle.write(chunk)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--photos", type=int, default=30)
    parser.add_argument("--video-mb", type=int, default=100)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        url = f"sqlite:///{root / 'bench.db'}"
        settings = Settings(
            var_dir=root,
            database_url=url,
            secret_key="bench-secret-key-bench-secret-key-0123456789",
            demo_password=PASSWORD,
            jobs="off",
            media_max_video_mb=args.video_mb + 1,
        )
        engine = make_engine(url)
        started = time.perf_counter()
        seed_database(
            engine,
            settings,
            tier=Tier.DISTRICT,
            seed=42,
            reset=False,
            progress=lambda *_: None,
            only=("regions", "organisations", "accounts"),
        )
        print(f"seeded territory and accounts in {time.perf_counter() - started:.1f} s")
        config = uvicorn.Config(
            create_app(settings, engine), host="127.0.0.1", port=8766, log_level="error"
        )
        server = uvicorn.Server(config)
        threading.Thread(target=server.run, daemon=True).start()
        while not server.started:
            time.sleep(0.05)
        base = "http://127.0.0.1:8766/api/v1"
        with httpx.Client(timeout=300) as client:
            login = client.post(
                f"{base}/auth/login", json={"username": WORKER, "password": PASSWORD}
            )
            headers = {"Authorization": f"Bearer {login.json()['access_token']}"}

            video = root / "clip.mp4"
            write_video(video, args.video_mb)
            size = video.stat().st_size
            before = peak_rss_mb()
            started = time.perf_counter()
            with video.open("rb") as handle:
                response = client.post(
                    f"{base}/media",
                    files={"file": ("clip.mp4", handle, "video/mp4")},
                    headers=headers,
                )
            seconds = time.perf_counter() - started
            assert response.status_code == 201, response.text
            after = peak_rss_mb()
            print(
                f"video: {size / 1e6:.0f} MB in {seconds:.2f} s = {size / 1e6 / seconds:.0f} MB/s;"
                f" peak memory {before:.0f} MB before, {after:.0f} MB after"
                f" (+{after - before:.0f} MB for a {size / 1e6:.0f} MB file)"
            )

            photo = phone_photo()
            started = time.perf_counter()
            for _ in range(args.photos):
                response = client.post(
                    f"{base}/media", files={"file": ("p.jpg", photo, "image/jpeg")}, headers=headers
                )
                assert response.status_code == 201, response.text
            seconds = time.perf_counter() - started
            print(
                f"photos: {args.photos} × {len(photo) / 1e6:.1f} MB (4000×3000) in {seconds:.1f} s"
                f" = {args.photos / seconds:.1f}/s, {seconds / args.photos * 1000:.0f} ms each"
            )

            # The server's limit is video_mb + 1 MB: a file 2 MB bigger is refused by its length.
            big = root / "big.mp4"
            write_video(big, args.video_mb + 2)
            started = time.perf_counter()
            with big.open("rb") as handle:
                refused = client.post(
                    f"{base}/media",
                    files={"file": ("big.mp4", handle, "video/mp4")},
                    headers=headers,
                )
            print(
                f"over the limit: {refused.status_code} {refused.json()['error']['code']} in"
                f" {(time.perf_counter() - started) * 1000:.0f} ms"
            )
            stored = [p for p in (root / "media").rglob("*") if p.is_file()]
            print(f"files on disk: {len(stored)} (photos + thumbnails + the video)")
        server.should_exit = True


if __name__ == "__main__":
    main()
