"""URLs of the audit trail."""

from django.urls import path

app_name = "audit"

urlpatterns: list = []
