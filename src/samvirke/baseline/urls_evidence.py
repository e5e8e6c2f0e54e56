"""URLs: Evidence files and links of answers."""

from django.urls import URLPattern

urlpatterns: list[URLPattern] = []
