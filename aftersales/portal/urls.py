from django.urls import path

from aftersales.portal import views

app_name = "portal"

urlpatterns = [
    path("p/<str:token>/", views.proposal_signed, name="proposal_signed"),
    path("certificate/<str:token>/", views.certificate, name="certificate"),
]
