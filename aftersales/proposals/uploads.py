"""What a file really is, judged by its bytes (P4: attachments are checked by
content, never by the name a sender gave them)."""

import hashlib
import mimetypes
import unicodedata
from dataclasses import dataclass
from pathlib import PurePosixPath, PureWindowsPath

from django.utils.translation import gettext as _

from aftersales.core.errors import DomainError

# Leading bytes -> the type they prove.
_SIGNATURES: list[tuple[bytes, str]] = [
    (b"%PDF-", "application/pdf"),
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"GIF87a", "image/gif"),
    (b"GIF89a", "image/gif"),
    (b"II*\x00", "image/tiff"),
    (b"MM\x00*", "image/tiff"),
    (b"BM", "image/bmp"),
]
_OFFICE_ZIP = {
    ".docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    ".xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    ".pptx": "application/vnd.openxmlformats-officedocument.presentationml.presentation",
}

# Types a customer may send: documents, pictures, plain text, office files.
ALLOWED_TYPES = {
    "application/pdf",
    "image/png",
    "image/jpeg",
    "image/gif",
    "image/tiff",
    "image/bmp",
    "image/webp",
    "text/plain",
    "application/zip",
    "message/rfc822",
    *_OFFICE_ZIP.values(),
}


def sniff(data: bytes, name: str = "") -> str:
    """The content type the bytes prove, or application/octet-stream."""
    for magic, kind in _SIGNATURES:
        if data.startswith(magic):
            return kind
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    if data.startswith(b"PK\x03\x04"):
        # Office files are zips; only the name tells them apart, and the
        # zip's own content list confirms it is one of them.
        suffix = PurePosixPath(name.lower()).suffix
        marker = {"docx": b"word/", "xlsx": b"xl/", "pptx": b"ppt/"}.get(suffix[1:])
        if marker and marker in data[:65536] or marker and b"[Content_Types].xml" in data:
            return _OFFICE_ZIP[suffix]
        return "application/zip"
    if _is_text(data):
        return "text/plain"
    return "application/octet-stream"


def _is_text(data: bytes) -> bool:
    if b"\x00" in data[:8192]:
        return False
    sample = data[:8192]
    for encoding in ("utf-8", "gb18030"):
        try:
            sample.decode(encoding)
            return True
        except UnicodeDecodeError:
            # A multi-byte character cut at the sample's end is still text.
            try:
                sample[:-3].decode(encoding)
                return len(sample) == 8192
            except UnicodeDecodeError:
                continue
    return False


def safe_name(name: str, content_type: str) -> str:
    """A file name fit to store and show: no path, no control characters,
    at most 200 characters, with an extension matching the content."""
    name = PureWindowsPath(PurePosixPath(name or "").name).name
    name = "".join(
        c for c in unicodedata.normalize("NFC", name) if unicodedata.category(c)[0] != "C"
    )
    name = name.strip(" .") or _("attachment")
    if len(name) > 200:
        stem, dot, ext = name.rpartition(".")
        name = (stem[: 200 - len(ext) - 1] + dot + ext) if dot and len(ext) < 10 else name[:200]
    expected = mimetypes.guess_type(name)[0]
    if content_type != "application/octet-stream" and expected != content_type:
        extension = mimetypes.guess_extension(content_type) or ""
        if extension and not name.lower().endswith(extension):
            name += extension
    return name


def _refuse(code: str, message: str):
    raise DomainError(code, message, fields={"files": message})


@dataclass(frozen=True)
class CheckedFile:
    name: str
    content_type: str
    data: bytes
    sha256: str


def attachment_max_bytes() -> int:
    """P4: the largest file accepted, from the policy in force."""
    from aftersales.policy.services import policy_value

    return int(policy_value("attachment_max_mb")) * 1024 * 1024


def check_uploaded(upload, *, max_bytes: int | None = None) -> CheckedFile:
    """An uploaded file judged by its bytes, never its name (P4). One byte
    past the limit is read at most, so an oversized upload is never held in
    memory whole."""
    max_bytes = max_bytes or attachment_max_bytes()
    return check_upload(upload.name or "", upload.read(max_bytes + 1), max_bytes=max_bytes)


def check_upload(name: str, data: bytes, *, max_bytes: int, allowed=ALLOWED_TYPES) -> CheckedFile:
    """Refuse an empty, too large or disallowed file with a message naming it."""
    shown = safe_name(name, "application/octet-stream")
    if not data:
        _refuse("file_empty", _("The file “%(name)s” is empty.") % {"name": shown})
    if len(data) > max_bytes:
        _refuse(
            "file_too_large",
            _("The file “%(name)s” is larger than %(mb)s MB.")
            % {"name": shown, "mb": max_bytes // (1024 * 1024)},
        )
    content_type = sniff(data, name)
    if allowed is not None and content_type not in allowed:
        _refuse(
            "file_type",
            _(
                "The file “%(name)s” is not a document, picture or text file we can accept "
                "(PDF, images, text, Office files)."
            )
            % {"name": shown},
        )
    return CheckedFile(
        safe_name(name, content_type), content_type, data, hashlib.sha256(data).hexdigest()
    )
