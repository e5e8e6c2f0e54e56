"""URLs of the report pages (mounted at /reports/)."""

from django.urls import path

from samvirke.reports import views

app_name = "reports"

urlpatterns = [
    path("", views.report_index, name="index"),
    path("assessments/<int:assessment_id>/", views.organisation_page, name="organisation"),
    path(
        "assessments/<int:assessment_id>/file/<str:fmt>/",
        views.organisation_file,
        name="organisation_file",
    ),
    path(
        "assessments/<int:assessment_id>/units/<int:unit_id>/",
        views.department_page,
        name="department",
    ),
    path(
        "assessments/<int:assessment_id>/units/<int:unit_id>/file/<str:fmt>/",
        views.department_file,
        name="department_file",
    ),
    path("jobs/<int:job_id>/", views.job_page, name="job"),
    path("jobs/<int:job_id>/download/", views.job_download, name="job_download"),
    path("networks/", views.network_list, name="networks"),
    path("networks/releases/<int:release_id>/", views.network_page, name="network"),
    path(
        "networks/releases/<int:release_id>/file/<str:fmt>/",
        views.network_file,
        name="network_file",
    ),
]
