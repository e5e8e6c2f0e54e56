"""URLs: Delegation, review, progress, participation and "my questions" pages."""

from django.urls import URLPattern

urlpatterns: list[URLPattern] = []
