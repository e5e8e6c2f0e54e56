"""Oversized requests are refused before their body is read."""

from __future__ import annotations

import pytest
from django.test import Client, override_settings

from conftest import login
from samvirke.core.testing import World

pytestmark = pytest.mark.django_db


@override_settings(SAMVIRKE_MAX_REQUEST_BYTES=1000)
def test_a_declared_oversized_body_gets_413_and_changes_nothing(
    client: Client, world: World
) -> None:
    login(client, world.owner)
    response = client.post("/units/new/", {"name": "x" * 5000})
    assert response.status_code == 413
    assert client.get("/units/").content.decode().count("xxxxxxxxxx") == 0


@override_settings(SAMVIRKE_MAX_REQUEST_BYTES=1000)
def test_a_multipart_upload_past_the_limit_gets_413(client: Client, world: World) -> None:
    from django.core.files.uploadedfile import SimpleUploadedFile

    login(client, world.owner)
    upload = SimpleUploadedFile("big.xlsx", b"0" * 5000)
    response = client.post("/units/new/", {"name": "ok", "file": upload})
    assert response.status_code == 413
