from django.http import Http404


def proposal_signed(request, token):
    raise Http404


def certificate(request, token):
    raise Http404
