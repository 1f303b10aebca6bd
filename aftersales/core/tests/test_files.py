"""Uploads are never public: no media URL, and downloads stay inside MEDIA_ROOT."""

import pytest
from django.http import Http404

from aftersales.core.files import protected_download


@pytest.mark.django_db
def test_there_is_no_public_media_url(client, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    (tmp_path / "letter.pdf").write_bytes(b"%PDF-1.4 scan")
    assert settings.MEDIA_URL in (None, "")
    for path in ("/media/letter.pdf", "/uploads/letter.pdf", "/letter.pdf"):
        assert client.get(path).status_code == 404


def test_download_is_an_attachment_with_its_chinese_name(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    (tmp_path / "a").mkdir()
    (tmp_path / "a" / "x.bin").write_bytes(b"<script>alert(1)</script>")
    response = protected_download("a/x.bin", download_name="来信扫描.pdf")
    assert response["Content-Disposition"].startswith("attachment;")
    assert "filename*=utf-8''%E6%9D%A5%E4%BF%A1" in response["Content-Disposition"]
    assert "sandbox" in response["Content-Security-Policy"]
    assert b"".join(response.streaming_content) == b"<script>alert(1)</script>"


@pytest.mark.parametrize("name", ["../secret_key", "/etc/passwd", "a/../../x", "missing.pdf"])
def test_paths_outside_media_root_or_missing_are_not_found(settings, tmp_path, name):
    settings.MEDIA_ROOT = tmp_path / "uploads"
    (tmp_path / "uploads").mkdir()
    (tmp_path / "secret_key").write_text("s3cret")
    with pytest.raises(Http404):
        protected_download(name, download_name="x")
