"""URLs: Excel export and import of an assessment."""

from django.urls import URLPattern

urlpatterns: list[URLPattern] = []
