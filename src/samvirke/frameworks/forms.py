"""Forms of the frameworks app: uploading a question set."""

from __future__ import annotations

from django import forms
from django.core.files.uploadedfile import UploadedFile
from django.utils.translation import gettext_lazy as _

from samvirke.frameworks.importers import MAX_UPLOAD_BYTES


class FrameworkImportForm(forms.Form):
    """An XLSX workbook in the import layout; its content is checked by the importer."""

    workbook = forms.FileField(
        label=_("Workbook (.xlsx)"),
        help_text=_("At most 5 MB, in the layout of the template."),
        widget=forms.ClearableFileInput(
            attrs={
                "accept": ".xlsx,application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
            }
        ),
    )

    def clean_workbook(self) -> UploadedFile:
        """Refuse an oversized file before anything reads it."""
        upload: UploadedFile = self.cleaned_data["workbook"]
        if upload.size is None or upload.size > MAX_UPLOAD_BYTES:
            raise forms.ValidationError(_("The file is larger than 5 MB."))
        return upload

    def read(self) -> bytes:
        """The uploaded bytes (never more than the limit)."""
        upload: UploadedFile = self.cleaned_data["workbook"]
        upload.seek(0)
        return upload.read(MAX_UPLOAD_BYTES + 1)
