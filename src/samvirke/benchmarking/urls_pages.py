"""URLs: benchmark pages."""

from django.urls import URLPattern, path

from samvirke.benchmarking import views

urlpatterns: list[URLPattern] = [
    path("", views.benchmark, name="benchmark"),
    path("<release_id>/export.<str:fmt>", views.benchmark_export, name="benchmark_export"),
    path(
        "<release_id>/areas/<area_id>/shares/",
        views.benchmark_area_shares,
        name="benchmark_area_shares",
    ),
    path("networks/", views.network_list, name="network_list"),
    path("networks/<network_id>/", views.network_benchmark, name="network_benchmark"),
]
