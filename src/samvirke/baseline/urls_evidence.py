"""URLs: evidence files and links of answers, and copying last year's answers forward."""

from django.urls import path

from samvirke.baseline import answer_views, evidence_views

urlpatterns = [
    path(
        "assessments/<int:assessment_id>/questions/<int:question_id>/evidence/file/",
        evidence_views.evidence_file_add,
        name="evidence_file_add",
    ),
    path(
        "assessments/<int:assessment_id>/questions/<int:question_id>/evidence/link/",
        evidence_views.evidence_link_add,
        name="evidence_link_add",
    ),
    path(
        "assessments/<int:assessment_id>/evidence/<int:evidence_id>/",
        evidence_views.evidence_download,
        name="evidence_download",
    ),
    path(
        "assessments/<int:assessment_id>/evidence/<int:evidence_id>/remove/",
        evidence_views.evidence_remove_view,
        name="evidence_remove",
    ),
    path(
        "assessments/<int:assessment_id>/questions/<int:question_id>/copy-forward/",
        answer_views.answer_copy_forward_view,
        name="answer_copy_forward",
    ),
    path(
        "assessments/<int:assessment_id>/areas/<int:area_id>/copy-forward/",
        answer_views.area_copy_forward_view,
        name="area_copy_forward",
    ),
]
