"""Receiving one upload: the multipart body is parsed as it arrives and its ``file`` part is
written to a staging file chunk by chunk, so a 100 MB video never sits in memory. The size limit
is enforced while receiving (by the declared length first, then byte by byte), and the kind is
recognised from the first bytes so a photo meets the photo limit before the rest arrives."""

from __future__ import annotations

from pathlib import Path
from typing import IO

from python_multipart.exceptions import MultipartParseError
from python_multipart.multipart import MultipartParser, parse_options_header
from starlette.concurrency import run_in_threadpool
from starlette.requests import ClientDisconnect, Request

from gridgov.kit.errors import InvalidInput
from gridgov.media import files
from gridgov.media.files import Limits, Staged

FIELD = "file"
# Room for the multipart boundaries and part headers around the file itself.
ENVELOPE_BYTES = 64 * 1024
MAX_OTHER_FIELD_BYTES = 16 * 1024


def _bad_form(message: str, code: str) -> InvalidInput:
    return InvalidInput(message, code=code)


class _Receiver:
    def __init__(self, media_dir: Path, limits: Limits) -> None:
        self.media_dir = media_dir
        self.limits = limits
        self.staged: Staged | None = None
        self.handle: IO[bytes] | None = None
        self.pending: list[bytes] = []
        self.received = 0
        self.head = b""
        self.other_bytes = 0
        self.file_done = False
        self.ended = False
        self._in_file = False
        self._header_name = b""
        self._header_value = b""
        self._disposition = b""

    # Callbacks of the multipart parser (synchronous; file data is written between chunks).
    def on_part_begin(self) -> None:
        self._in_file = False
        self._disposition = b""

    def on_header_field(self, data: bytes, start: int, end: int) -> None:
        self._header_name += data[start:end]

    def on_header_value(self, data: bytes, start: int, end: int) -> None:
        self._header_value += data[start:end]

    def on_header_end(self) -> None:
        if self._header_name.lower() == b"content-disposition":
            self._disposition = self._header_value
        self._header_name = self._header_value = b""

    def on_headers_finished(self) -> None:
        _, options = parse_options_header(self._disposition)
        if options.get(b"name") != FIELD.encode() or not options.get(b"filename"):
            return  # another field: counted, never kept
        if self.staged is not None:
            raise _bad_form("一次只能上传一个文件", "one_file_only")
        self.staged = files.new_staged(self.media_dir)
        self.handle = self.staged.path.open("wb")
        self._in_file = True

    def on_part_data(self, data: bytes, start: int, end: int) -> None:
        if not self._in_file:
            self.other_bytes += end - start
            if self.other_bytes > MAX_OTHER_FIELD_BYTES:
                raise _bad_form("表单中除文件外的内容过多", "form_too_large")
            return
        chunk = data[start:end]
        self.received += len(chunk)
        if len(self.head) < files.SNIFF_BYTES:
            self.head += chunk[: files.SNIFF_BYTES - len(self.head)]
            if len(self.head) >= files.SNIFF_BYTES:
                self.recognise()
        kind = self.staged.kind if self.staged else None
        limit = self.limits.any_bytes if kind is None else self.limits.for_kind(kind)
        if self.received > limit:
            raise files.too_large(kind, self.limits)
        self.pending.append(chunk)

    def on_part_end(self) -> None:
        if self._in_file:
            self.file_done = True
            self._in_file = False

    def on_end(self) -> None:
        self.ended = True

    def recognise(self) -> None:
        assert self.staged is not None
        found = files.sniff(self.head)
        if found is None:
            raise files.unsupported()
        self.staged.kind, self.staged.content_type = found

    def flush(self) -> None:
        assert self.staged is not None and self.handle is not None
        for chunk in self.pending:
            self.staged.write(self.handle, chunk)
        self.pending.clear()

    def close(self) -> None:
        if self.handle is not None:
            self.handle.close()
            self.handle = None


async def receive_upload(request: Request, *, media_dir: Path, limits: Limits) -> Staged:
    """Stage the request's one ``file`` part. Whatever goes wrong, no staged file is left."""
    content_type, params = parse_options_header(request.headers.get("content-type"))
    boundary = params.get(b"boundary")
    if content_type != b"multipart/form-data" or not boundary:
        raise _bad_form("请以 multipart/form-data 上传，文件放在 file 字段", "file_required")
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limits.any_bytes + ENVELOPE_BYTES:
        raise files.too_large(None, limits)
    receiver = _Receiver(media_dir, limits)
    try:
        try:
            parser = MultipartParser(
                boundary,
                {
                    "on_part_begin": receiver.on_part_begin,
                    "on_part_data": receiver.on_part_data,
                    "on_part_end": receiver.on_part_end,
                    "on_header_field": receiver.on_header_field,
                    "on_header_value": receiver.on_header_value,
                    "on_header_end": receiver.on_header_end,
                    "on_headers_finished": receiver.on_headers_finished,
                    "on_end": receiver.on_end,
                },
            )
            async for chunk in request.stream():
                parser.write(chunk)
                if receiver.pending:
                    await run_in_threadpool(receiver.flush)
            parser.finalize()
        except (MultipartParseError, ClientDisconnect) as exc:
            raise _bad_form("上传的表单不完整或格式错误", "bad_upload") from exc
        staged = receiver.staged
        if staged is None:
            raise _bad_form("请选择要上传的文件（file 字段）", "file_required")
        if not (receiver.file_done and receiver.ended):
            raise _bad_form("上传的表单不完整或格式错误", "bad_upload")
        if staged.kind is None:  # shorter than the sniffing window
            receiver.recognise()
        receiver.close()
        staged.finish()
        return staged
    except BaseException:
        receiver.close()
        if receiver.staged is not None:
            receiver.staged.discard()
        raise
