"""The extension check on a table of cases: real content, its true type from libmagic, a name -> flagged?

The rule is written down in vigilant.triage.identify's docstring (and the README); each case says which
part of it decides. The three cases the field test found wrong (issue 11, A10) are marked "field test".
"""

from __future__ import annotations

import io
import sys
import zipfile
from pathlib import Path

import pytest
from PIL import Image

from vigilant.triage.identify import EXPECTED_EXTENSIONS, identify, name_extension


def _picture(kind: str) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (32, 24), (200, 120, 40)).save(out, kind)
    return out.getvalue()


def _zip() -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as z:
        z.writestr("a.txt", "synthetic\n")
    return out.getvalue()


JPEG = _picture("JPEG")
PNG = _picture("PNG")
ZIP = _zip()
MP4 = b"\x00\x00\x00\x18ftypisom\x00\x00\x02\x00isomiso2" + b"\x00\x00\x00\x08free"
PDF = b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog >>\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n"
TEXT = b"synthetic notes, line one\nline two\n"
# A Windows folder's desktop.ini: libmagic calls it application/x-wine-extension-ini, not text/plain.
DESKTOP_INI = b"[.ShellClassInfo]\r\nLocalizedResourceName=@%SystemRoot%\\system32\\shell32.dll,-21770\r\n"
INI = b"; settings\n[General]\nname=value\n"
HTML = b"<html><body><p>synthetic</p></body></html>\n"
SVG = b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg" width="1" height="1"></svg>\n'
NOISE = bytes((i * 7919 + 13) % 251 for i in range(4096))  # no signature: libmagic says "data"
ELF = Path(sys.executable).resolve().read_bytes()[:65536]  # this Python: an ELF program
ELF_TYPE = "ELF program"

CASES = [
    # content, libmagic's MIME type, name, flagged, why
    (JPEG, "image/jpeg", "photo.jpg", False, "the extension is one of the type's"),
    (JPEG, "image/jpeg", "PHOTO.JPEG", False, "the extension is one of the type's"),
    (JPEG, "image/jpeg", "scan.jfif", False, "the extension is one of the type's"),
    (JPEG, "image/jpeg", "f_000123", True, "no extension on a checked type (field test)"),
    (JPEG, "image/jpeg", "photo.", True, "no extension on a checked type"),  # a trailing dot: none
    (JPEG, "image/jpeg", ".photo", True, "no extension on a checked type"),  # a leading dot: none
    (JPEG, "image/jpeg", "photo.png", True, "another checked type's extension"),
    (JPEG, "image/jpeg", "holiday.txt", True, "an extension that is not the type's"),
    (PNG, "image/png", "notes.txt", True, "an extension that is not the type's"),
    (PNG, "image/png", "image.png", False, "the extension is one of the type's"),
    (MP4, "video/mp4", "clip.mp4", False, "the extension is one of the type's"),
    (MP4, "video/mp4", "clip.mov", False, "the extension is one of the type's"),
    (MP4, "video/mp4", "clip", True, "no extension on a checked type"),
    (ZIP, "application/zip", "archive.zip", False, "the extension is one of the type's"),
    (ZIP, "application/zip", "report.docx", False, "the extension is one of the type's"),  # a zip inside
    (ZIP, "application/zip", "holiday.jpg", True, "another checked type's extension"),
    (ZIP, "application/zip", "backup", True, "no extension on a checked type"),
    (PDF, "application/pdf", "statement.pdf", False, "the extension is one of the type's"),
    (PDF, "application/pdf", "statement.doc", True, "an extension that is not the type's"),
    (TEXT, "text/plain", "notes.jpg", True, "text named as a checked type (field test)"),
    (TEXT, "text/plain", "notes.zip", True, "text named as a checked type"),
    (TEXT, "text/plain", "notes.txt", False, "text is flagged only when named as a checked type"),
    (TEXT, "text/plain", "README", False, "text is flagged only when named as a checked type"),
    (TEXT, "text/plain", "Zone.Identifier", False, "text is flagged only when named as a checked type"),
    (
        DESKTOP_INI,
        "application/x-wine-extension-ini",
        "desktop.ini",
        False,
        "text is flagged only when named as a checked type (field test)",
    ),
    (INI, "text/plain", "config.ini", False, "text is flagged only when named as a checked type"),
    (HTML, "text/html", "page.htm", False, "text is flagged only when named as a checked type"),
    (HTML, "text/html", "image.gif", True, "text named as a checked type"),
    (SVG, "image/svg+xml", "logo.svg", False, "text is flagged only when named as a checked type"),
    (SVG, "image/svg+xml", "logo.png", True, "text named as a checked type"),
    (NOISE, "application/octet-stream", "photo.jpg", False, "nothing says what the content is"),
    (b"", "inode/x-empty", "photo.jpg", False, "nothing says what the content is"),
    (
        ELF,
        ELF_TYPE,
        "tool",
        False,
        "an unchecked type is flagged only when named as a checked one",
    ),
    (ELF, ELF_TYPE, "photo.jpg", True, "an unchecked type named as a checked type"),
]


@pytest.mark.parametrize(
    ("data", "mime", "name", "flagged", "why"), CASES, ids=[f"{c[1]}:{c[2]}" for c in CASES]
)
def test_the_extension_check(data: bytes, mime: str, name: str, flagged: bool, why: str) -> None:
    kind = identify(data[:65536], name_extension(name))
    if mime == ELF_TYPE:  # libmagic names an ELF program by how it was linked
        assert kind.mime in {
            "application/x-executable",
            "application/x-pie-executable",
            "application/x-sharedlib",
        }
    else:
        assert kind.mime == mime
    assert (kind.extension_mismatch, kind.extension_reason) == (flagged, why.removesuffix(" (field test)"))


@pytest.mark.parametrize(
    ("name", "extension"),
    [
        ("photo.jpg", ".jpg"),
        ("Photo.JPG", ".jpg"),
        ("archive.tar.gz", ".gz"),
        ("photo", None),
        ("photo.", None),
        (".bashrc", None),
        ("", None),
    ],
)
def test_what_the_extension_of_a_name_is(name: str, extension: str | None) -> None:
    assert name_extension(name) == extension


def test_no_checked_extension_is_also_a_text_formats() -> None:
    # Every checked extension announces binary content with a signature: none is also a text format's.
    text_extensions = {".txt", ".ini", ".ts", ".xml", ".json", ".csv", ".log", ".htm", ".html", ".svg", ".md"}
    checked = set().union(*EXPECTED_EXTENSIONS.values())
    assert not checked & text_extensions
    assert all(e == e.lower() and e.startswith(".") for e in checked)
