"""`samvirke token_create`: create an API token for a member and print only its secret."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from samvirke.accounts.models import User
from samvirke.accounts.services import token_create
from samvirke.audit.context import audit_context
from samvirke.core.scoping import organisation_scope
from samvirke.tenancy.models import Organisation


class Command(BaseCommand):
    """Create an API token for USER in ORGANISATION; the secret is printed once, on stdout."""

    help = "Create an API token for a member of an organisation and print its secret."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--user", required=True, help="username of the token's owner")
        parser.add_argument("--organisation", required=True, help="the organisation's code")
        parser.add_argument("--name", default="CLI token", help="a name to recognise the token")
        parser.add_argument(
            "--days", type=int, default=settings.SAMVIRKE_API_TOKEN_DAYS, help="days until expiry"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        user = User.objects.filter(username=options["user"]).first()
        if user is None:
            raise CommandError(f"No user with username {options['user']!r}.")
        organisation = Organisation.objects.filter(code=options["organisation"]).first()
        if organisation is None:
            raise CommandError(f"No organisation with code {options['organisation']!r}.")
        try:
            with organisation_scope(organisation.pk), audit_context(ip=None, via="cli"):
                _token, secret = token_create(
                    actor=None,
                    organisation=organisation,
                    user=user,
                    name=options["name"],
                    days=options["days"],
                )
        except ValidationError as error:
            raise CommandError(" ".join(error.messages)) from error
        self.stdout.write(secret)
