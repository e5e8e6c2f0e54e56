"""URLs: delegation, review and "my questions" pages."""

from django.urls import path

from samvirke.baseline import work_views

urlpatterns = [
    path("my-questions/", work_views.my_questions, name="my_questions"),
    path(
        "assessments/<int:assessment_id>/delegations/",
        work_views.delegation_list,
        name="delegation_list",
    ),
    path(
        "assessments/<int:assessment_id>/delegations/<int:delegation_id>/remove/",
        work_views.delegation_remove_view,
        name="delegation_remove",
    ),
    path("assessments/<int:assessment_id>/review/", work_views.review, name="review"),
]
