"""Schemas and input types shared by every app's API operations."""

from __future__ import annotations

from typing import Annotated

from django.conf import settings
from django.utils.translation import gettext as _
from ninja import Field, Schema
from ninja.pagination import LimitOffsetPagination
from pydantic import AfterValidator, Strict, StringConstraints

#: The largest id a database primary key can hold; anything above is simply not found.
MAX_ID = 2**63 - 1
#: Far beyond any real list, and small enough for every database's OFFSET.
MAX_OFFSET = 2**31 - 1


def _no_null_characters(value: str) -> str:
    """PostgreSQL cannot store NUL characters in text; refuse them as Django's forms do."""
    if "\x00" in value:
        raise ValueError(_("Null characters are not allowed."))
    return value


#: A JSON string stripped of surrounding spaces, without NUL characters; bound its length with
#: `Field(max_length=...)`.
Text = Annotated[
    str, Strict(), StringConstraints(strip_whitespace=True), AfterValidator(_no_null_characters)
]


#: A reference to another object in a request body: a JSON integer in the id range.
ObjectId = Annotated[int, Strict(), Field(ge=1, le=MAX_ID)]


class ErrorDetail(Schema):
    """What went wrong, in the request's language."""

    code: str = Field(
        description="not_found, validation_error, unauthorized, forbidden, bad_request, "
        "conflict or server_error"
    )
    message: str
    fields: dict[str, list[str]] | None = Field(
        None, description="Validation errors only: messages for each field"
    )


class ErrorOut(Schema):
    """The one shape of every error response."""

    error: ErrorDetail


#: Error responses every authenticated operation can give, for the OpenAPI document.
ERRORS: dict[int, type[Schema]] = {401: ErrorOut, 403: ErrorOut, 404: ErrorOut}
#: ... and those that take a body or query parameters.
INPUT_ERRORS: dict[int, type[Schema]] = {**ERRORS, 400: ErrorOut, 413: ErrorOut, 422: ErrorOut}


class Pagination(LimitOffsetPagination):
    """`limit` and `offset` query parameters, both bounded so no value reaches the database raw."""

    class Input(Schema):
        limit: int = Field(
            settings.NINJA_PAGINATION_PER_PAGE, ge=1, le=settings.NINJA_PAGINATION_MAX_LIMIT
        )
        offset: int = Field(0, ge=0, le=MAX_OFFSET)


class RegionOut(Schema):
    """A region (DK) or county (NO) as valid today."""

    code: str
    name: str


class PublicOrganisationOut(Schema):
    """The public attributes of an organisation."""

    code: str
    name: str
    kind: str
    country: str
    region: RegionOut | None
    size_class: str
