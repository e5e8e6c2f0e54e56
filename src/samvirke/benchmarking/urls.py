"""URLs of the benchmark pages, each group of pages in its own module."""

from django.urls import include, path

app_name = "benchmarking"

urlpatterns = [
    path("", include("samvirke.benchmarking.urls_pages")),
    path("", include("samvirke.benchmarking.urls_manage")),
]
