from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field

from gridgov.media.models import Media

ROLE_LABELS = {
    "report": "上报",
    "before": "处置前",
    "after": "处置后",
    "feedback": "处置反馈",
}


class MediaOut(BaseModel):
    id: int
    kind: Literal["image", "video"]
    content_type: str = Field(description="decided by the file's content, not its name")
    size_bytes: int
    sha256: str
    width: int | None = Field(description="images: as displayed (EXIF orientation applied)")
    height: int | None
    url: str = Field(description="the file itself")
    thumbnail_url: str | None = Field(description="images: a JPEG, longest side 320 px, no EXIF")
    uploader: str
    uploaded_at: datetime
    role: str | None = Field(description="report, after, feedback… once attached")
    role_label: str | None
    step: int | None = Field(description="the timeline step (seq) it came with")
    attached: bool

    @classmethod
    def of(cls, media: Media) -> MediaOut:
        base = f"/api/v1/media/{media.id}"
        return cls(
            id=media.id,
            kind="image" if media.kind == "image" else "video",
            content_type=media.content_type,
            size_bytes=media.size_bytes,
            sha256=media.sha256,
            width=media.width,
            height=media.height,
            url=base,
            thumbnail_url=f"{base}/thumbnail" if media.has_thumbnail else None,
            uploader=media.uploader,
            uploaded_at=media.uploaded_at,
            role=media.role,
            role_label=ROLE_LABELS.get(media.role or "", media.role),
            step=media.step_seq,
            attached=media.subject_type is not None,
        )
