"""Uploaded files leave the server only through views that checked permission.

There is no public media URL (settings.MEDIA_URL is None). A view that hands a
file out calls ``protected_download`` after its own permission check.
"""

from pathlib import Path

from django.conf import settings
from django.http import FileResponse, Http404


def protected_download(
    stored_name: str, *, download_name: str, inline: bool = False
) -> FileResponse:
    """A response for a file under MEDIA_ROOT, refusing any path that leaves it.

    Sent as an attachment by default, with ``nosniff`` (set globally) so a file
    a customer uploaded can never run as a page of this site.
    """
    root = Path(settings.MEDIA_ROOT).resolve()
    path = (root / stored_name).resolve()
    if root not in path.parents or not path.is_file():
        raise Http404
    response = FileResponse(path.open("rb"), as_attachment=not inline, filename=download_name)
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response["Cache-Control"] = "private, no-store"
    return response
