"""Evidence of answers: files checked by size, extension and content, and links; audited.

A file is accepted only when its extension is on the list and its first bytes (for office
documents, the zip's table of contents) say it really is that kind of file; the stored content
type is the one we found, never the browser's claim. Files go through Django's storage API so
that object storage can replace the disk by setting.
"""

from __future__ import annotations

import codecs
import hashlib
import unicodedata
import zipfile
from pathlib import PurePath
from typing import IO, TYPE_CHECKING

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.core.validators import URLValidator
from django.db import transaction
from django.utils.translation import gettext as _

from samvirke.audit.services import audit_log
from samvirke.baseline.models import Assessment, CampaignState, Evidence
from samvirke.baseline.services import may_answer
from samvirke.frameworks.models import AnswerLevel, Node, NodeKind
from samvirke.tenancy.models import OrgUnit

if TYPE_CHECKING:
    from samvirke.accounts.models import User

DEFAULT_MAX_BYTES = 20 * 1024 * 1024
MAX_LINK_LENGTH = 1000
MAX_NAME_LENGTH = 255

#: Extension → the content type we store when the content matches.
ALLOWED_TYPES: dict[str, str] = {
    ".pdf": "application/pdf",
    ".png": "image/png",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    ".xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    ".pptx": "application/vnd.openxmlformats-officedocument.presentationml.presentation",
    ".odt": "application/vnd.oasis.opendocument.text",
    ".ods": "application/vnd.oasis.opendocument.spreadsheet",
    ".txt": "text/plain",
    ".csv": "text/csv",
    ".msg": "application/vnd.ms-outlook",
    ".eml": "message/rfc822",
}
MAGIC = {
    ".pdf": (b"%PDF-",),
    ".png": (b"\x89PNG\r\n\x1a\n",),
    ".jpg": (b"\xff\xd8\xff",),
    ".jpeg": (b"\xff\xd8\xff",),
    ".msg": (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1",),
}
#: Office Open XML: the folder every document of the kind has.
OOXML_PARTS = {".docx": "word/", ".xlsx": "xl/", ".pptx": "ppt/"}
TEXT_TYPES = {".txt", ".csv", ".eml"}
#: Text that a browser would take for a web page or a script, whatever the file is called.
ACTIVE_TEXT = (b"<!doctype", b"<html", b"<svg", b"<script", b"<?xml", b"<head", b"<body")


def max_evidence_bytes() -> int:
    """The largest evidence file accepted (setting SAMVIRKE_EVIDENCE_MAX_BYTES)."""
    return int(getattr(settings, "SAMVIRKE_EVIDENCE_MAX_BYTES", DEFAULT_MAX_BYTES))


def _refuse_content(extension: str) -> ValidationError:
    return ValidationError(
        _("The file's content is not a %(type)s file. Upload the document itself.")
        % {"type": extension.lstrip(".").upper()},
        code="content",
    )


def _zip_names(stream: IO[bytes]) -> tuple[zipfile.ZipFile, list[str]] | None:
    try:
        archive = zipfile.ZipFile(stream)
        return archive, archive.namelist()
    except (zipfile.BadZipFile, OSError, ValueError):
        return None


def _is_office(stream: IO[bytes], extension: str) -> bool:
    """An Office Open XML or OpenDocument file of the kind its extension says."""
    opened = _zip_names(stream)
    if opened is None:
        return False
    archive, names = opened
    if extension in OOXML_PARTS:
        return "[Content_Types].xml" in names and any(
            n.startswith(OOXML_PARTS[extension]) for n in names
        )
    try:
        mimetype = archive.read("mimetype")[:100] if "mimetype" in names else b""
    except (zipfile.BadZipFile, OSError, ValueError, RuntimeError):
        return False
    return mimetype.decode("ascii", "replace") == ALLOWED_TYPES[extension]


def _is_text(stream: IO[bytes]) -> bool:
    """UTF-8 text with no NUL bytes that a browser would not take for a web page."""
    decoder = codecs.getincrementaldecoder("utf-8")()
    first = stream.read(512)
    if first.lstrip(b"\xef\xbb\xbf \t\r\n").lower().startswith(ACTIVE_TEXT):
        return False
    chunk = first
    try:
        while chunk:
            if b"\x00" in chunk:
                return False
            decoder.decode(chunk)
            chunk = stream.read(64 * 1024)
        decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        return False
    return True


def _content_matches(stream: IO[bytes], extension: str) -> bool:
    stream.seek(0)
    if extension in MAGIC:
        head = stream.read(16)
        return any(head.startswith(magic) for magic in MAGIC[extension])
    if extension in TEXT_TYPES:
        return _is_text(stream)
    return _is_office(stream, extension)


def clean_file_name(raw: str) -> str:
    """The given file name without folders or control characters, shortened to fit."""
    name = PurePath(raw.replace("\\", "/")).name
    name = "".join(c for c in name if unicodedata.category(c)[0] != "C").strip()
    if len(name) > MAX_NAME_LENGTH:
        suffix = PurePath(name).suffix[:10]
        name = name[: MAX_NAME_LENGTH - len(suffix)] + suffix
    return name or "evidence"


def check_upload(upload: UploadedFile) -> str:
    """The content type of an acceptable file, or a ValidationError saying why it is refused."""
    limit = max_evidence_bytes()
    size = upload.size or 0
    if size == 0:
        raise ValidationError(_("The file is empty."), code="empty")
    if size > limit:
        raise ValidationError(
            _("The file is too large: at most %(mb)s MB is accepted.")
            % {"mb": round(limit / 1024 / 1024, 1)},
            code="size",
        )
    extension = PurePath(upload.name or "").suffix.lower()
    if extension not in ALLOWED_TYPES:
        raise ValidationError(
            _("Files of this type are not accepted. Accepted: %(types)s.")
            % {"types": ", ".join(sorted({e.lstrip(".") for e in ALLOWED_TYPES}))},
            code="type",
        )
    stream = upload.file
    if stream is None or not _content_matches(stream, extension):
        raise _refuse_content(extension)
    stream.seek(0)
    return ALLOWED_TYPES[extension]


def check_link(raw: str) -> str:
    """An http or https address, or a ValidationError saying what is wrong with it."""
    url = raw.strip()
    if not url:
        raise ValidationError(_("Enter an address."), code="required")
    if len(url) > MAX_LINK_LENGTH:
        raise ValidationError(
            _("The address is too long: at most %(count)s characters.")
            % {"count": MAX_LINK_LENGTH},
            code="length",
        )
    try:
        URLValidator(schemes=["http", "https"])(url)
    except ValidationError:
        raise ValidationError(
            _("Enter a web address that starts with https:// or http://."), code="scheme"
        ) from None
    return url


# --- services --------------------------------------------------------------------------------


def _open_assessment(assessment: Assessment) -> Assessment:
    """The assessment re-read under a row lock; refused when it can no longer change."""
    current = (
        Assessment.objects.select_for_update()
        .select_related("campaign", "organisation")
        .get(pk=assessment.pk, organisation=assessment.organisation_id)
    )
    if current.is_locked or current.campaign.state != CampaignState.OPEN:
        raise ValidationError(_("The assessment is locked: it has been submitted or closed."))
    return current


def _check_target(
    actor: User, assessment: Assessment, question: Node, org_unit: OrgUnit | None
) -> None:
    if (
        question.version_id != assessment.campaign.framework_version_id
        or question.kind != NodeKind.QUESTION
    ):
        raise ValidationError(_("Choose a question of this assessment."))
    if (question.answer_level == AnswerLevel.UNIT) != (org_unit is not None):
        raise ValidationError(_("Choose the org unit the evidence is for."))
    if org_unit is not None and org_unit.organisation_id != assessment.organisation_id:
        raise ValidationError(_("Choose a unit of your own organisation."))
    if not may_answer(actor, assessment, question, org_unit):
        raise PermissionDenied(_("This question has not been delegated to you."))


def _audit_evidence(actor: User, evidence: Evidence, action: str) -> None:
    audit_log(
        actor=actor,
        organisation=evidence.organisation,
        action=action,
        obj=evidence,
        changes={
            "assessment": evidence.assessment_id,
            "question": evidence.question_id,
            "org_unit": evidence.org_unit_id,
            "name": evidence.name,
            "link": evidence.link,
            "size": evidence.size,
            "content_type": evidence.content_type,
            "sha256": evidence.sha256,
        },
    )


def _sha256(upload: UploadedFile) -> str:
    digest = hashlib.sha256()
    for chunk in upload.chunks():
        digest.update(chunk)
    upload.seek(0)
    return digest.hexdigest()


@transaction.atomic
def evidence_add_file(
    *,
    actor: User,
    assessment: Assessment,
    question: Node,
    org_unit: OrgUnit | None,
    upload: UploadedFile,
) -> Evidence:
    """Attach a checked file to a question's answer; it is stored under a random name."""
    current = _open_assessment(assessment)
    _check_target(actor, current, question, org_unit)
    content_type = check_upload(upload)
    evidence = Evidence(
        organisation=current.organisation,
        assessment=current,
        question=question,
        org_unit=org_unit,
        name=clean_file_name(upload.name or ""),
        size=upload.size or 0,
        content_type=content_type,
        sha256=_sha256(upload),
        uploaded_by=actor,
    )
    evidence.file.save(evidence.name, upload, save=False)
    try:
        evidence.save()
        _audit_evidence(actor, evidence, "baseline.evidence.added")
    except BaseException:
        evidence.file.delete(save=False)  # the row is not there: neither may the file be
        raise
    return evidence


@transaction.atomic
def evidence_add_link(
    *,
    actor: User,
    assessment: Assessment,
    question: Node,
    org_unit: OrgUnit | None,
    url: str,
    name: str = "",
) -> Evidence:
    """Attach a link (http or https only) to a question's answer."""
    current = _open_assessment(assessment)
    _check_target(actor, current, question, org_unit)
    link = check_link(url)
    title = " ".join(name.split())[:MAX_NAME_LENGTH] or link[:MAX_NAME_LENGTH]
    evidence = Evidence.objects.create(
        organisation=current.organisation,
        assessment=current,
        question=question,
        org_unit=org_unit,
        link=link,
        name=title,
        uploaded_by=actor,
    )
    _audit_evidence(actor, evidence, "baseline.evidence.added")
    return evidence


@transaction.atomic
def evidence_remove(*, actor: User, evidence: Evidence) -> None:
    """Remove a file or link; a file leaves storage only once the removal is committed."""
    current = _open_assessment(evidence.assessment)
    _check_target(actor, current, evidence.question, evidence.org_unit)
    _audit_evidence(actor, evidence, "baseline.evidence.removed")
    stored_name, storage = evidence.file.name, evidence.file.storage
    evidence.delete()
    if stored_name:
        transaction.on_commit(lambda: storage.delete(stored_name))
