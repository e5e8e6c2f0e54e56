"""URLs of the baseline pages."""

from django.urls import include, path

from samvirke.baseline import answer_views, views

app_name = "baseline"

urlpatterns = [
    path("campaigns/", views.campaign_list, name="campaign_list"),
    path("campaigns/new/", views.campaign_create_view, name="campaign_create"),
    path("campaigns/<int:campaign_id>/", views.campaign_detail, name="campaign_detail"),
    path("campaigns/<int:campaign_id>/open/", views.campaign_open_view, name="campaign_open"),
    path("campaigns/<int:campaign_id>/close/", views.campaign_close_view, name="campaign_close"),
    path(
        "campaigns/<int:campaign_id>/deadline/",
        views.campaign_deadline_view,
        name="campaign_deadline",
    ),
    path("assessments/", views.assessment_list, name="assessment_list"),
    path("assessments/<int:assessment_id>/", views.assessment_detail, name="assessment_detail"),
    path(
        "assessments/<int:assessment_id>/areas/<int:area_id>/",
        views.area_detail,
        name="area_detail",
    ),
    path(
        "assessments/<int:assessment_id>/questions/<int:question_id>/",
        answer_views.answer_view,
        name="answer",
    ),
    path(
        "assessments/<int:assessment_id>/submit/",
        views.assessment_submit_view,
        name="assessment_submit",
    ),
    path(
        "assessments/<int:assessment_id>/reopen/",
        views.assessment_reopen_view,
        name="assessment_reopen",
    ),
    # Pages built in their own modules, each with its own URL list.
    path("", include("samvirke.baseline.urls_work")),
    path("", include("samvirke.baseline.urls_evidence")),
    path("", include("samvirke.baseline.urls_excel")),
]
