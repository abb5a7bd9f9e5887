"""True file type from content (libmagic, as file(1) and examiners use), and whether the extension lies.

The extension check (``FileType.extension_mismatch``, "extension mismatch" in every report) flags a file
whose name disguises what it holds: a picture renamed ``.txt``, a video with no extension, text named
``.jpg``. The rule, in order (``FileType.extension_reason`` says which part decided):

1. **Nothing says what the content is** (libmagic's ``application/octet-stream``: "data", no signature;
   an empty file): never flagged.
2. **A checked type** (:data:`EXPECTED_EXTENSIONS`: pictures, videos, archives, PDF and Office/OpenDocument
   files: the types that hold material of interest and carry a signature libmagic recognises): flagged
   unless the extension is one of the type's. **No extension counts as wrong** for these: a picture,
   video or archive without one is hidden from every viewer and search by type (browser caches keep
   pictures that way, which is worth a look too).
3. **Anything else**: text of any kind (what libmagic gives a character set: ``text/*``, JSON, XML, SVG,
   INI files such as ``desktop.ini``, which libmagic calls ``application/x-wine-extension-ini``, scripts)
   and binary types Vigilant has no list for (executables, databases, …): flagged only when the name
   announces a checked type, i.e. its extension is one of :data:`EXPECTED_EXTENSIONS`' (text named
   ``.jpg``, a program named ``.png``). Any other extension, or none, is not flagged: text is named
   ``.txt``, ``.ini``, ``.cfg``, ``.log``, ``README`` or anything at all.

The extension is the name's last ``.suffix``, compared without case (:func:`name_extension`); a name with
no dot, only a leading dot (``.bashrc``) or a trailing one (``photo.``) has none. For an NTFS named stream
the name checked is the stream's (``photo.jpg:Zone.Identifier`` is checked as ``Zone.Identifier``): a
stream is content of its own, not the file's.

The table is Vigilant's own, not the host's ``/etc/mime.types`` (which differs from machine to machine):
the same evidence gives the same flags everywhere. Its keys are the MIME types libmagic reports.
"""

from __future__ import annotations

import posixpath
import threading
from dataclasses import dataclass

import magic

HEAD_BYTES = 64 * 1024  # what libmagic is given; enough for every signature it checks in practice

_JPEG = frozenset({".jpg", ".jpeg", ".jpe", ".jfif", ".jfi", ".jif"})
_BMP = frozenset({".bmp", ".dib"})
_TIFF = frozenset({".tif", ".tiff", ".dng", ".nef", ".nrw", ".arw", ".srw", ".pef", ".rw2", ".orf"})
_HEIF = frozenset({".heic", ".heif", ".hif"})
_MP4 = frozenset({".mp4", ".m4v", ".mov", ".f4v"})
_MATROSKA = frozenset({".mkv", ".webm", ".mk3d"})
_ZIP_CONTAINERS = frozenset(
    # zip, and the formats that are zips under another name
    {".zip", ".jar", ".apk", ".ipa", ".xpi", ".cbz", ".epub", ".kmz", ".odt", ".ods", ".odp", ".odg"}
    | {".docx", ".docm", ".dotx", ".xlsx", ".xlsm", ".xltx", ".pptx", ".pptm", ".potx", ".ppsx", ".vsdx"}
)
_GZIP = frozenset({".gz", ".tgz", ".svgz"})
_RAR = frozenset({".rar", ".cbr"})

# libmagic's MIME type -> the extensions a file of that type is named with: the checked types (rule 2).
EXPECTED_EXTENSIONS: dict[str, frozenset[str]] = {
    # pictures
    "image/jpeg": _JPEG,
    "image/png": frozenset({".png", ".apng"}),
    "image/gif": frozenset({".gif"}),
    "image/bmp": _BMP,
    "image/x-ms-bmp": _BMP,
    "image/tiff": _TIFF,
    "image/x-canon-cr2": frozenset({".cr2"}),
    "image/x-canon-cr3": frozenset({".cr3"}),
    "image/webp": frozenset({".webp"}),
    "image/heic": _HEIF,
    "image/heif": _HEIF,
    "image/avif": frozenset({".avif"}),
    # videos
    "video/mp4": _MP4,
    "video/x-m4v": _MP4,
    "video/quicktime": frozenset({".mov", ".qt", ".mp4"}),
    "video/3gpp": frozenset({".3gp", ".3gpp", ".mp4"}),
    "video/3gpp2": frozenset({".3g2", ".3gp2", ".mp4"}),
    "video/x-msvideo": frozenset({".avi", ".divx"}),
    "video/x-matroska": _MATROSKA,
    "video/webm": _MATROSKA,
    "video/x-ms-asf": frozenset({".wmv", ".asf", ".wma"}),
    "video/x-ms-wmv": frozenset({".wmv", ".asf"}),
    "video/mpeg": frozenset({".mpg", ".mpeg", ".mpe", ".m1v", ".m2v", ".vob"}),
    "video/mp2t": frozenset({".m2ts", ".mts"}),  # not ".ts": TypeScript sources are text named so
    "video/x-flv": frozenset({".flv"}),
    "audio/mp4": frozenset({".m4a", ".m4b", ".mp4"}),  # an MP4 holding sound only
    "audio/x-m4a": frozenset({".m4a", ".m4b", ".mp4"}),
    # archives
    "application/zip": _ZIP_CONTAINERS,
    "application/gzip": _GZIP,
    "application/x-gzip": _GZIP,
    "application/x-tar": frozenset({".tar"}),
    "application/x-bzip2": frozenset({".bz2", ".tbz", ".tbz2"}),
    "application/x-xz": frozenset({".xz", ".txz"}),
    "application/x-7z-compressed": frozenset({".7z"}),
    "application/vnd.rar": _RAR,
    "application/x-rar": _RAR,
    # documents
    "application/pdf": frozenset({".pdf", ".ai"}),
    "application/epub+zip": frozenset({".epub"}),
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": frozenset({".docx", ".docm"}),
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": frozenset({".xlsx", ".xlsm"}),
    "application/vnd.openxmlformats-officedocument.presentationml.presentation": frozenset(
        {".pptx", ".pptm"}
    ),
    "application/vnd.oasis.opendocument.text": frozenset({".odt"}),
    "application/vnd.oasis.opendocument.spreadsheet": frozenset({".ods"}),
    "application/vnd.oasis.opendocument.presentation": frozenset({".odp"}),
}
# Every extension that announces a checked type (rule 3).
CHECKED_EXTENSIONS: frozenset[str] = frozenset().union(*EXPECTED_EXTENSIONS.values())

# Types libmagic reports for content it cannot pin down (rule 1).
_UNKNOWN = {"application/octet-stream", "inode/x-empty", "application/x-empty"}

UNKNOWN_CONTENT = "nothing says what the content is"
MATCHES = "the extension is one of the type's"
NO_EXTENSION = "no extension on a checked type"
OTHER_CHECKED = "another checked type's extension"
NOT_THE_TYPES = "an extension that is not the type's"
TEXT_NAMED_CHECKED = "text named as a checked type"
TEXT_ANY_NAME = "text is flagged only when named as a checked type"
UNCHECKED_NAMED_CHECKED = "an unchecked type named as a checked type"
UNCHECKED_ANY_NAME = "an unchecked type is flagged only when named as a checked one"

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
        # MIME type and character set in one look ("text/plain; charset=us-ascii"), and the description.
        _local.handles = (magic.Magic(mime=True, mime_encoding=True), magic.Magic())
    handles: tuple[magic.Magic, magic.Magic] = _local.handles
    return handles


@dataclass(frozen=True)
class FileType:
    mime: str
    description: str
    extension_mismatch: bool
    extension_reason: str = ""  # which part of the rule decided (the module's docstring)

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


def name_extension(name: str) -> str | None:
    """The last ``.suffix`` of a name, lower case; None for no dot, only a leading or a trailing one."""
    extension = posixpath.splitext(name)[1]
    return extension.lower() if len(extension) > 1 else None


def expected_extensions(mime: str) -> frozenset[str]:
    """The extensions a file of this type is named with; empty for a type the check has no list for."""
    return EXPECTED_EXTENSIONS.get(mime, frozenset())


def extension_check(mime: str, text: bool, extension: str | None) -> tuple[bool, str]:
    """(flagged, reason) for content of this type (``text``: libmagic gave it a character set) so named."""
    if mime in _UNKNOWN:
        return False, UNKNOWN_CONTENT
    expected = EXPECTED_EXTENSIONS.get(mime)
    if expected is not None:
        if extension is None:
            return True, NO_EXTENSION
        if extension in expected:
            return False, MATCHES
        return True, OTHER_CHECKED if extension in CHECKED_EXTENSIONS else NOT_THE_TYPES
    named_checked = extension is not None and extension in CHECKED_EXTENSIONS
    if text:
        return named_checked, TEXT_NAMED_CHECKED if named_checked else TEXT_ANY_NAME
    return named_checked, UNCHECKED_NAMED_CHECKED if named_checked else UNCHECKED_ANY_NAME


def identify(head: bytes, extension: str | None) -> FileType:
    """The type of the content that starts with ``head``, and the extension check for a name with
    ``extension`` (as :func:`name_extension` gives it, lower case, or None)."""
    if not head:
        mime, charset, description = "inode/x-empty", "binary", "empty"
    else:
        mime_handle, text_handle = _handles()
        mime, _, parameters = mime_handle.from_buffer(head).partition(";")
        charset = parameters.strip().removeprefix("charset=") or "binary"
        description = text_handle.from_buffer(head)
    mismatch, reason = extension_check(mime.strip(), charset != "binary", extension)
    return FileType(mime.strip(), description, mismatch, reason)
