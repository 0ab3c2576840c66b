"""Benchmark-only reference views, mounted at /bench/ only when PULSE_BENCH_VIEWS=1
(see config/urls.py and bench/answer_load.py). Never in production."""

from django.urls import path

from . import views

urlpatterns = [
    path("constant/", views.constant, name="bench_constant"),
    path("floor/<str:token>/", views.floor, name="bench_floor"),
]
