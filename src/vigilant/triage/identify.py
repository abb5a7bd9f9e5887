"""True file type from content (libmagic, as file(1) and examiners use), and whether the extension lies."""

from __future__ import annotations

import mimetypes
import threading
from dataclasses import dataclass

import magic

HEAD_BYTES = 64 * 1024  # what libmagic is given; enough for every signature it checks in practice

# Types libmagic reports for content it cannot pin down: no extension can contradict them.
_VAGUE = {"application/octet-stream", "text/plain", "inode/x-empty", "application/x-empty"}
# Extensions people use that mimetypes does not list for the type libmagic reports.
_EXTRA_EXTENSIONS: dict[str, set[str]] = {
    "image/jpeg": {".jpg", ".jpeg", ".jpe", ".jfif"},
    "image/tiff": {".tif", ".tiff", ".dng", ".nef", ".cr2", ".arw"},
    "image/heic": {".heic", ".heif"},
    "image/webp": {".webp"},
    "image/x-ms-bmp": {".bmp", ".dib"},
    "image/bmp": {".bmp", ".dib"},
    "video/mp4": {".mp4", ".m4v", ".mov"},
    "video/quicktime": {".mov", ".qt", ".mp4"},
    "video/x-msvideo": {".avi"},
    "video/x-matroska": {".mkv", ".webm"},
    "video/webm": {".webm", ".mkv"},
    "application/zip": {".zip", ".jar", ".apk", ".docx", ".xlsx", ".pptx", ".odt", ".ods", ".epub", ".kmz"},
    "application/gzip": {".gz", ".tgz"},
    "application/x-gzip": {".gz", ".tgz"},
    "application/x-tar": {".tar"},
    "application/x-7z-compressed": {".7z"},
    "application/vnd.rar": {".rar"},
    "application/x-rar": {".rar"},
    "text/html": {".html", ".htm", ".xhtml"},
    "application/x-sqlite3": {".db", ".sqlite", ".sqlite3", ".sqlitedb"},
    "application/vnd.sqlite3": {".db", ".sqlite", ".sqlite3", ".sqlitedb"},
}
_IMAGE_TYPES = {
    "image/jpeg",
    "image/png",
    "image/gif",
    "image/bmp",
    "image/x-ms-bmp",
    "image/tiff",
    "image/webp",
}
_ARCHIVE_TYPES = {"application/zip", "application/gzip", "application/x-gzip", "application/x-tar"}

_local = threading.local()  # libmagic handles are not safe to share between threads


def _handles() -> tuple[magic.Magic, magic.Magic]:
    if not hasattr(_local, "handles"):
        _local.handles = (magic.Magic(mime=True), magic.Magic())
    handles: tuple[magic.Magic, magic.Magic] = _local.handles
    return handles


@dataclass(frozen=True)
class FileType:
    mime: str
    description: str
    extension_mismatch: bool

    @property
    def is_image(self) -> bool:
        """A picture Pillow can decode for PDQ."""
        return self.mime in _IMAGE_TYPES

    @property
    def is_archive(self) -> bool:
        return is_archive_mime(self.mime)


def is_archive_mime(mime: str) -> bool:
    """An archive triage opens (zip, tar, gzip)."""
    return mime in _ARCHIVE_TYPES


def expected_extensions(mime: str) -> set[str]:
    return set(mimetypes.guess_all_extensions(mime, strict=False)) | _EXTRA_EXTENSIONS.get(mime, set())


def identify(head: bytes, extension: str | None) -> FileType:
    mime_handle, text_handle = _handles()
    mime = mime_handle.from_buffer(head) if head else "inode/x-empty"
    description = text_handle.from_buffer(head) if head else "empty"
    mismatch = False
    if extension and mime not in _VAGUE and not mime.startswith("text/"):
        mismatch = extension.lower() not in expected_extensions(mime)
    return FileType(mime=mime, description=description, extension_mismatch=mismatch)
