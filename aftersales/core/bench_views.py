"""Baseline pages for the benchmark (``python -m bench``): the cost of one
query through the whole stack (middleware, template, WSGI), against which real
pages are compared. They answer 404 unless AFTERSALES_BENCHMARK_RELAXED is on,
which settings allow only on loopback in production."""

from functools import wraps

from django.conf import settings
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_POST

from aftersales.core.models import BenchmarkProbe


def benchmark_only(view):
    """Outermost, so that even a wrong method answers 404 outside benchmark mode."""

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        # Read per request, not at import, so a test (or a restart with the
        # variable unset) turns these pages off without reloading the URLconf.
        if not settings.BENCHMARK_RELAXED:
            raise Http404
        return view(request, *args, **kwargs)

    return wrapper


@benchmark_only
@require_GET
def baseline(request, pk: int):
    """One SELECT by primary key and a tiny template."""
    probe = get_object_or_404(BenchmarkProbe, pk=pk)
    return render(request, "core/bench/baseline.html", {"probe": probe})


# CSRF-exempt only because this answers 404 outside benchmark mode, which is
# refused in production unless the server is on loopback: the load generator
# posts without a session, and the point is to time exactly one INSERT.
@csrf_exempt
@benchmark_only
@require_POST
def baseline_write(request):
    """Exactly one INSERT."""
    probe = BenchmarkProbe.objects.create(note="baseline-write")
    return HttpResponse(
        f"bench-write-ok {probe.pk}\n", status=201, content_type="text/plain; charset=utf-8"
    )
