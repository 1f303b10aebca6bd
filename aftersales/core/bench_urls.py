"""Mounted at /bench/; every view here is 404 outside benchmark mode."""

from django.urls import path

from aftersales.core import bench_views

app_name = "bench"
urlpatterns = [
    path("baseline/<id:pk>", bench_views.baseline, name="baseline"),
    path("baseline-write", bench_views.baseline_write, name="baseline_write"),
]
