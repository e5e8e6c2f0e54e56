"""Pages: an assessment's answers as an Excel workbook, and importing it back filled in."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.core.files.uploadedfile import UploadedFile
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.text import slugify
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods

from samvirke.baseline.access import access_assessment
from samvirke.baseline.excel import export_workbook
from samvirke.baseline.imports import answers_import
from samvirke.core.permissions import permission_required
from samvirke.core.xlsx import MAX_UPLOAD_BYTES, XLSX_CONTENT_TYPE
from samvirke.tenancy.http import OrgRequest
from samvirke.tenancy.roles import Perm


class AnswersImportForm(forms.Form):
    """The filled-in workbook; its content is checked by imports.answers_import."""

    workbook = forms.FileField(
        label=gettext_lazy("Workbook (.xlsx)"),
        help_text=gettext_lazy("At most 5 MB: this assessment's exported workbook, filled in."),
        widget=forms.FileInput(attrs={"accept": f".xlsx,{XLSX_CONTENT_TYPE}"}),
    )

    def read(self) -> bytes:
        """The uploaded bytes, never more than one past the limit (the importer refuses those)."""
        upload: UploadedFile = self.cleaned_data["workbook"]
        upload.seek(0)
        return upload.read(MAX_UPLOAD_BYTES + 1)


@require_GET
@permission_required(None)  # either permission below: readers export all, respondents their own
def assessment_export(request: OrgRequest, assessment_id: int) -> HttpResponse:
    """The assessment as XLSX: every question for those who may view it, else the delegated ones."""
    viewer = Perm.ASSESSMENT_VIEW in request.permissions
    permission = Perm.ASSESSMENT_VIEW if viewer else Perm.ANSWER
    assessment = access_assessment(request, assessment_id, permission=permission)
    content = export_workbook(assessment=assessment, user=request.user, everything=viewer)
    code = slugify(assessment.organisation.code) or "organisation"
    filename = f"samvirke-{code}-{assessment.campaign.year}-assessment-{assessment.pk}.xlsx"
    response = HttpResponse(content, content_type=XLSX_CONTENT_TYPE)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["X-Content-Type-Options"] = "nosniff"
    return response


@require_http_methods(["GET", "POST"])
@permission_required(Perm.ANSWER)
def assessment_import(request: OrgRequest, assessment_id: int) -> HttpResponse:
    """Upload the filled-in workbook: every problem listed and nothing saved, or all saved."""
    assessment = access_assessment(request, assessment_id, permission=Perm.ANSWER)
    form = AnswersImportForm(request.POST or None, request.FILES or None)
    errors = []
    if request.method == "POST" and form.is_valid():
        result = answers_import(actor=request.user, assessment=assessment, upload=form.read())
        if result.ok:
            counts = {"saved": result.saved, "unchanged": result.unchanged}
            message = _(
                "The workbook was imported. Answers saved: %(saved)s. "
                "Rows unchanged: %(unchanged)s."
            )
            messages.success(request, message % counts)
            return redirect("baseline:assessment_import", assessment_id=assessment.pk)
        errors = result.errors
    context = {"assessment": assessment, "form": form, "errors": errors}
    status = 400 if request.method == "POST" else 200
    return render(request, "baseline/excel_import.html", context, status=status)
