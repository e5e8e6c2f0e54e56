"""URLs of the audit trail."""

from django.urls import path

from samvirke.audit import views

app_name = "audit"

urlpatterns = [
    path("", views.entry_list, name="entry_list"),
    path("export.<str:fmt>", views.entry_export, name="entry_export"),
]
