"""`samvirke report organisation|department|network ... -o FILE`: write a report file.

Reads each organisation's rows inside its own scope, and benchmark numbers only from a
published release, as the pages do.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _
from tqdm import tqdm

from samvirke.baseline.models import Assessment
from samvirke.benchmarking.models import Release, ReleaseState
from samvirke.core.scoping import organisation_scope
from samvirke.reports.render import Rendered, render
from samvirke.reports.services import report_format, report_language
from samvirke.reports.tasks import departments_zip
from samvirke.tenancy.models import Network, Organisation, OrgUnit


def _organisation(code: str) -> Organisation:
    found = Organisation.objects.filter(code=code).first()
    if found is None:
        raise CommandError(_("No organisation with the code %(code)r.") % {"code": code})
    return found


def _network(code: str) -> Network:
    found = Network.objects.filter(code=code).first()
    if found is None:
        raise CommandError(_("No network with the code %(code)r.") % {"code": code})
    return found


def _assessment(organisation: Organisation, year: int, network: str | None) -> Assessment:
    """The organisation's assessment of a year (call inside its scope)."""
    assessments = Assessment.objects.filter(organisation=organisation, campaign__year=year)
    if network:
        assessments = assessments.filter(campaign__network=_network(network))
    found = list(assessments.select_related("organisation", "campaign__network")[:2])
    if not found:
        raise CommandError(
            _("%(organisation)s has no assessment in %(year)s.")
            % {"organisation": organisation.name, "year": year}
        )
    if len(found) > 1:
        raise CommandError(_("There are several assessments that year: choose one with --network."))
    return found[0]


def _unit(organisation: Organisation, name_or_id: str) -> OrgUnit:
    """A unit of the organisation by id or by name (call inside its scope)."""
    units = OrgUnit.objects.filter(organisation=organisation)
    found = (
        units.filter(pk=int(name_or_id)).first()
        if name_or_id.isdigit()
        else units.filter(name__iexact=name_or_id).first()
    )
    if found is None:
        raise CommandError(
            _("%(organisation)s has no unit %(unit)r.")
            % {"organisation": organisation.name, "unit": name_or_id}
        )
    return found


def _published(network: Network, year: int) -> Release:
    release = Release.objects.filter(
        network=network, campaign__year=year, state=ReleaseState.PUBLISHED
    ).first()
    if release is None:
        raise CommandError(
            _("%(network)s has no published release for %(year)s: no network report yet.")
            % {"network": network.name, "year": year}
        )
    return release


class Command(BaseCommand):
    """Write an organisation, department or network report as PDF, XLSX or HTML."""

    help = "Write a report file: organisation, department (or every department as a zip), network."

    def add_arguments(self, parser: CommandParser) -> None:
        kinds = parser.add_subparsers(dest="kind", required=True)
        organisation = kinds.add_parser("organisation", help="an organisation's report")
        department = kinds.add_parser("department", help="a department's report, or --all")
        network = kinds.add_parser("network", help="a network's report of a published release")
        for sub in (organisation, department):
            sub.add_argument("--organisation", required=True, help="the organisation's code")
            sub.add_argument("--network", help="the network's code, if it has several campaigns")
        for sub in (organisation, department, network):
            sub.add_argument("--year", type=int, required=True, help="the campaign's year")
            sub.add_argument("--format", default="pdf", help="pdf, xlsx or html")
            sub.add_argument("--language", default="da", help="da, nb or en")
            sub.add_argument("-o", "--output", required=True, help="the file to write")
        which = department.add_mutually_exclusive_group(required=True)
        which.add_argument("--unit", help="the unit's name or id")
        which.add_argument("--all", action="store_true", help="every department, in one zip")
        network.add_argument("--network", required=True, help="the network's code")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            fmt = report_format(options["format"])
            language = report_language(options["language"])
        except ValidationError as error:
            raise CommandError(" ".join(error.messages)) from error
        bar = tqdm(total=1, unit=_("report"), file=sys.stderr, disable=options["verbosity"] == 0)
        try:
            rendered = self._build(options, fmt, language, bar)
        except ValueError as error:
            raise CommandError(str(error)) from error
        finally:
            bar.close()
        output = Path(options["output"])
        output.write_bytes(rendered.content)
        if options["verbosity"]:
            self.stdout.write(_("Wrote %(path)s") % {"path": output})

    def _build(self, options: dict[str, Any], fmt: str, language: str, bar: tqdm[Any]) -> Rendered:
        year = options["year"]
        if options["kind"] == "network":
            network = _network(options["network"])
            with organisation_scope(network.steward_id):
                rendered = render("network", _published(network, year), fmt, language)
            bar.update(1)
            return rendered
        organisation = _organisation(options["organisation"])
        with organisation_scope(organisation.pk):
            assessment = _assessment(organisation, year, options["network"])
            if options["kind"] == "organisation":
                rendered = render("organisation", assessment, fmt, language)
            elif options["all"]:
                return departments_zip(
                    assessment, fmt, language, progress=lambda done, total: _advance(bar, total)
                )
            else:
                unit = _unit(organisation, options["unit"])
                rendered = render("department", (assessment, unit), fmt, language)
        bar.update(1)
        return rendered


def _advance(bar: tqdm[Any], total: int) -> None:
    bar.total = total
    bar.update(1)
