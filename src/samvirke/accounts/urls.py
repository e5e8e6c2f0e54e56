"""Account pages of our own (allauth's are included beside these)."""

from django.urls import path

app_name = "accounts"

urlpatterns: list = []
