"""URLs: Excel export and import of an assessment."""

from django.urls import URLPattern, path

from samvirke.baseline import excel_views

urlpatterns: list[URLPattern] = [
    path(
        "assessments/<int:assessment_id>/export.xlsx",
        excel_views.assessment_export,
        name="assessment_export",
    ),
    path(
        "assessments/<int:assessment_id>/import/",
        excel_views.assessment_import,
        name="assessment_import",
    ),
]
