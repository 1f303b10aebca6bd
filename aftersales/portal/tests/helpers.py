"""What the portal's tests post and upload."""

import struct
import zlib

from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

FORM_URL = reverse("portal:index")
LOOKUP_URL = reverse("portal:lookup")


def png_bytes() -> bytes:
    """A real one-pixel PNG."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data))
            + kind
            + data
            + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
        )

    header = struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)
    pixels = zlib.compress(b"\x00\xff\x00\x00")
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", pixels) + chunk(b"IEND", b"")
    )


def windows_executable() -> bytes:
    """The start of a PE file: an MZ header with its binary fields."""
    return b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00" + bytes(200)


def form_data(**overrides) -> dict:
    data = {
        "website": "",
        "name": "张三",
        "email": "zhangsan@example.com",
        "phone": "",
        "language": "zh-hans",
        "title": "建议延长保修期",
        "content": "希望把保修期从一年延长到两年。Please extend the warranty.",
        "consent": "on",
    }
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


def upload(name: str, data: bytes, content_type: str = "application/octet-stream"):
    return SimpleUploadedFile(name, data, content_type=content_type)


def submit(client, *, ip: str = "198.51.100.7", files=(), **overrides):
    """POST the form; keyword arguments named HTTP_* are request headers,
    the others replace form fields."""
    headers = {k: v for k, v in overrides.items() if k.startswith("HTTP_")}
    data = form_data(**{k: v for k, v in overrides.items() if not k.startswith("HTTP_")})
    if files:
        data["attachments"] = list(files)
    return client.post(FORM_URL, data, REMOTE_ADDR=ip, **headers)


def policy_today(**overrides):
    """A policy version in force from today with ``overrides``, approved after
    the installed one so it is the one in force."""
    from datetime import timedelta

    from django.utils import timezone

    from aftersales.policy.models import PolicyVersion
    from aftersales.policy.services import policy_in_force
    from aftersales.policy.tests.factories import approved_version

    version = approved_version(timezone.localdate(), **overrides)
    PolicyVersion.objects.filter(pk=version.pk).update(
        approved_at=timezone.now() + timedelta(seconds=1)
    )
    assert policy_in_force().pk == version.pk
    return version
