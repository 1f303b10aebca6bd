import logging
import re
import time
import uuid

from django.utils.cache import add_never_cache_headers

logger = logging.getLogger("aftersales.request")
_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{8,64}$")


class RequestLogMiddleware:
    """Gives every request an id (kept from a proxy's X-Request-ID when sane)
    and writes one structured log line per request."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        incoming = request.headers.get("X-Request-ID", "")
        request.id = incoming if _REQUEST_ID.match(incoming) else uuid.uuid4().hex
        started = time.perf_counter()
        response = self.get_response(request)
        response["X-Request-ID"] = request.id
        user = getattr(request, "user", None)
        logger.info(
            "request",
            extra={
                "request_id": request.id,
                "method": request.method,
                "path": request.path,
                "status": response.status_code,
                "duration_ms": round((time.perf_counter() - started) * 1000, 2),
                "user_id": user.pk if user is not None and user.is_authenticated else None,
            },
        )
        return response


class NoStoreMiddleware:
    """Nothing this application answers is kept by a browser or a proxy
    (issue 7 item 9): pages, htmx fragments, exports, PDFs, downloads and API
    answers may all carry personal data, and a shared computer's back button or
    a caching proxy must not show them to the next person.

    Sits below WhiteNoise, which answers static assets itself, so those keep
    their long caching; every answer that reaches a view, the login page and
    error pages included, is marked ``no-store, private``.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        add_never_cache_headers(response)
        return response
