from django.urls import path

from aftersales.core import views

app_name = "core"
urlpatterns = [
    path("", views.my_work, name="my_work"),
]
