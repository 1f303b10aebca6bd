from django.urls import path

from aftersales.portal import views

app_name = "portal"

urlpatterns = [
    path("", views.index, name="index"),
    path("thanks/<str:token>/", views.thanks, name="thanks"),
    path("lookup/", views.lookup, name="lookup"),
    # Used by aftersales.proposals.links: keep these names and shapes.
    path("p/<str:token>/", views.proposal_signed, name="proposal_signed"),
    path("certificate/<str:token>/", views.certificate, name="certificate"),
]
