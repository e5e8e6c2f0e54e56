"""Evidence: files checked by size, type and content; links; download and removal; tenancy."""

from __future__ import annotations

import hashlib
import io
import zipfile
from pathlib import Path
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from conftest import login
from samvirke.audit.models import AuditEntry
from samvirke.baseline.models import Assessment, Campaign, Evidence
from samvirke.baseline.services import assessment_submit
from samvirke.baseline.tests.conftest import QuestionSet
from samvirke.core.testing import World

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("unscoped")]

PDF = b"%PDF-1.7\n1 0 obj\n<<>>\nendobj\ntrailer\n<<>>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + b"\x00" * 30
EXE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00" + b"\x00" * 100


@pytest.fixture(autouse=True)
def media(settings: Any, tmp_path: Path) -> Path:
    """Evidence files go to a fresh folder per test."""
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


def a_assessment(world: World, campaign: Campaign) -> Assessment:
    return Assessment.objects.get(organisation=world.org_a, campaign=campaign)


def file_url(assessment: Assessment, question_pk: int) -> str:
    return reverse("baseline:evidence_file_add", args=[assessment.pk, question_pk])


def upload(client: Client, assessment: Assessment, question_pk: int, name: str, data: bytes) -> Any:
    return client.post(file_url(assessment, question_pk), {"file": SimpleUploadedFile(name, data)})


def docx() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("word/document.xml", "<w:document/>")
    return buffer.getvalue()


def stored_files(media: Path) -> list[Path]:
    return [p for p in media.rglob("*") if p.is_file()]


def test_a_pdf_is_stored_under_a_random_name_with_its_digest_and_audited(
    owner_client: Client, world: World, questions: QuestionSet, campaign: Campaign, media: Path
) -> None:
    assessment = a_assessment(world, campaign)
    response = upload(owner_client, assessment, questions.maturity.pk, "Policy 2026.pdf", PDF)
    assert response.status_code == 302
    evidence = Evidence.objects.get()
    assert (evidence.name, evidence.content_type, evidence.size) == (
        "Policy 2026.pdf",
        "application/pdf",
        len(PDF),
    )
    assert evidence.sha256 == hashlib.sha256(PDF).hexdigest()
    assert evidence.file.name.startswith(f"evidence/{world.org_a.pk}/{assessment.pk}/")
    assert "Policy" not in evidence.file.name and evidence.file.name.endswith(".pdf")
    assert [p.read_bytes() for p in stored_files(media)] == [PDF]
    entry = AuditEntry.objects.get(action="baseline.evidence.added")
    assert entry.changes["sha256"] == evidence.sha256 and entry.organisation_id == world.org_a.pk
    page = owner_client.get(response["Location"]).content.decode()
    assert "Policy 2026.pdf" in page


@pytest.mark.parametrize(
    ("name", "data", "content_type"),
    [
        ("diagram.png", PNG, "image/png"),
        ("photo.JPG", b"\xff\xd8\xff\xe0" + b"\x00" * 20, "image/jpeg"),
        ("report.docx", docx(), "application/vnd.openxmlformats-officedocument"),
        ("notes.txt", "Æblegrød og kaffe\n".encode(), "text/plain"),
        ("list.csv", b"a;b\n1;2\n", "text/csv"),
    ],
)
def test_accepted_types(
    owner_client: Client,
    world: World,
    questions: QuestionSet,
    campaign: Campaign,
    name: str,
    data: bytes,
    content_type: str,
) -> None:
    response = upload(
        owner_client, a_assessment(world, campaign), questions.maturity.pk, name, data
    )
    assert response.status_code == 302
    assert Evidence.objects.get().content_type.startswith(content_type)


@pytest.mark.parametrize(
    ("name", "data", "message"),
    [
        ("invoice.pdf", EXE, "not a PDF file"),
        ("setup.exe", EXE, "not accepted"),
        ("page.html", b"<html><script>alert(1)</script></html>", "not accepted"),
        ("image.svg", b"<svg xmlns='http://www.w3.org/2000/svg'/>", "not accepted"),
        ("page.txt", b"  <!DOCTYPE html><html><body>x</body></html>", "not a TXT file"),
        ("binary.txt", b"abc\x00def", "not a TXT file"),
        ("fake.docx", PDF, "not a DOCX file"),
        ("picture.png", PDF, "not a PNG file"),
        ("empty.pdf", b"", "empty"),
    ],
)
def test_refused_files_change_nothing(
    owner_client: Client,
    world: World,
    questions: QuestionSet,
    campaign: Campaign,
    media: Path,
    name: str,
    data: bytes,
    message: str,
) -> None:
    response = upload(
        owner_client, a_assessment(world, campaign), questions.maturity.pk, name, data
    )
    assert response.status_code == 400
    assert message in response.content.decode()
    assert not Evidence.objects.exists() and not stored_files(media)
    assert not AuditEntry.objects.filter(action="baseline.evidence.added").exists()


def test_an_oversized_file_is_refused(
    owner_client: Client,
    world: World,
    questions: QuestionSet,
    campaign: Campaign,
    media: Path,
    settings: Any,
) -> None:
    settings.SAMVIRKE_EVIDENCE_MAX_BYTES = 1000
    data = PDF + b"0" * 1000
    response = upload(
        owner_client, a_assessment(world, campaign), questions.maturity.pk, "a.pdf", data
    )
    assert response.status_code == 400 and "too large" in response.content.decode()
    assert not Evidence.objects.exists() and not stored_files(media)


def test_links_must_be_http_or_https(
    owner_client: Client, world: World, questions: QuestionSet, campaign: Campaign
) -> None:
    assessment = a_assessment(world, campaign)
    url = reverse("baseline:evidence_link_add", args=[assessment.pk, questions.maturity.pk])
    for bad in [
        "javascript:alert(1)",
        "data:text/html,hi",
        "ftp://example.test/x",
        "https://" + "a" * 1000,
    ]:
        response = owner_client.post(url, {"url": bad})
        assert response.status_code == 400, bad
    assert not Evidence.objects.exists()
    response = owner_client.post(
        url, {"url": "https://intranet.example.test/policy", "name": "Policy"}
    )
    assert response.status_code == 302
    evidence = Evidence.objects.get()
    assert (evidence.link, evidence.name, evidence.file.name) == (
        "https://intranet.example.test/policy",
        "Policy",
        "",
    )
    assert AuditEntry.objects.filter(action="baseline.evidence.added").count() == 1


def test_download_is_an_attachment_for_those_who_may_see_the_assessment(
    client: Client, world: World, questions: QuestionSet, campaign: Campaign
) -> None:
    assessment = a_assessment(world, campaign)
    owner = login(Client(), world.owner)
    upload(owner, assessment, questions.maturity.pk, "Plan <1>.pdf", PDF)
    evidence = Evidence.objects.get()
    url = reverse("baseline:evidence_download", args=[assessment.pk, evidence.pk])
    response = owner.get(url)
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == PDF  # type: ignore[attr-defined]
    assert response["Content-Disposition"].startswith("attachment;")
    assert "Plan" in response["Content-Disposition"]
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Type"] == "application/pdf"
    assert login(Client(), world.reader).get(url).status_code == 200
    assert login(client, world.member).get(url).status_code == 403  # nothing delegated


def test_another_organisations_evidence_is_not_found(
    client: Client, world: World, questions: QuestionSet, campaign: Campaign
) -> None:
    assessment = a_assessment(world, campaign)
    upload(login(Client(), world.owner), assessment, questions.maturity.pk, "a.pdf", PDF)
    evidence = Evidence.objects.get()
    outsider = login(client, world.outsider)
    b_assessment = Assessment.objects.get(organisation=world.org_b, campaign=campaign)
    for assessment_pk in (assessment.pk, b_assessment.pk):
        download = reverse("baseline:evidence_download", args=[assessment_pk, evidence.pk])
        remove = reverse("baseline:evidence_remove", args=[assessment_pk, evidence.pk])
        assert outsider.get(download).status_code == 404
        assert outsider.get(remove).status_code == 404
        assert outsider.post(remove).status_code == 404
    assert Evidence.objects.filter(pk=evidence.pk).exists()


def test_remove_asks_then_deletes_row_and_file_and_audits(
    owner_client: Client, world: World, questions: QuestionSet, campaign: Campaign, media: Path
) -> None:
    assessment = a_assessment(world, campaign)
    upload(owner_client, assessment, questions.maturity.pk, "a.pdf", PDF)
    evidence = Evidence.objects.get()
    url = reverse("baseline:evidence_remove", args=[assessment.pk, evidence.pk])
    confirm = owner_client.get(url)
    assert confirm.status_code == 200 and "a.pdf" in confirm.content.decode()
    assert Evidence.objects.exists()
    response = owner_client.post(url)
    assert response.status_code == 302
    assert not Evidence.objects.exists()
    entry = AuditEntry.objects.get(action="baseline.evidence.removed")
    assert entry.changes["name"] == "a.pdf"


def test_remove_deletes_the_file_once_committed(
    owner_client: Client,
    world: World,
    questions: QuestionSet,
    campaign: Campaign,
    media: Path,
    django_capture_on_commit_callbacks: Any,
) -> None:
    assessment = a_assessment(world, campaign)
    upload(owner_client, assessment, questions.maturity.pk, "a.pdf", PDF)
    evidence = Evidence.objects.get()
    with django_capture_on_commit_callbacks(execute=True):
        owner_client.post(reverse("baseline:evidence_remove", args=[assessment.pk, evidence.pk]))
    assert not stored_files(media)


def test_a_locked_assessment_refuses_evidence(
    owner_client: Client, world: World, questions: QuestionSet, campaign: Campaign, media: Path
) -> None:
    assessment = a_assessment(world, campaign)
    upload(owner_client, assessment, questions.maturity.pk, "a.pdf", PDF)
    evidence = Evidence.objects.get()
    assessment_submit(actor=world.owner, assessment=assessment)
    response = upload(owner_client, assessment, questions.maturity.pk, "b.pdf", PDF)
    assert response.status_code == 400 and "locked" in response.content.decode()
    owner_client.post(reverse("baseline:evidence_remove", args=[assessment.pk, evidence.pk]))
    assert list(Evidence.objects.values_list("name", flat=True)) == ["a.pdf"]
    assert len(stored_files(media)) == 1


def test_only_those_who_may_answer_add_evidence(
    client: Client, world: World, questions: QuestionSet, campaign: Campaign, media: Path
) -> None:
    assessment = a_assessment(world, campaign)
    respondent = login(client, world.member)  # nothing delegated
    assert upload(respondent, assessment, questions.maturity.pk, "a.pdf", PDF).status_code == 403
    reader = login(Client(), world.reader)  # may see, may not answer
    assert upload(reader, assessment, questions.maturity.pk, "a.pdf", PDF).status_code == 403
    owner = login(Client(), world.owner)
    unit_question = file_url(assessment, questions.yes_no.pk)
    foreign_unit = {"file": SimpleUploadedFile("a.pdf", PDF), "org_unit": world.unit_b.pk}
    assert owner.post(unit_question, foreign_unit).status_code == 404
    no_unit = {"file": SimpleUploadedFile("a.pdf", PDF)}
    assert owner.post(unit_question, no_unit).status_code == 400
    assert not Evidence.objects.exists() and not stored_files(media)
