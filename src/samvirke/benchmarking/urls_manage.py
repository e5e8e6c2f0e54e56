"""URLs: benchmark manage."""

from django.urls import URLPattern

urlpatterns: list[URLPattern] = []
