"""Organisations (the tenants), their regions, org units, networks and memberships."""

from __future__ import annotations

import datetime
from typing import TYPE_CHECKING, ClassVar

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from samvirke.core.models import OrganisationOwnedModel, scoped_manager
from samvirke.tenancy.roles import Role, role_permissions

if TYPE_CHECKING:
    from samvirke.accounts.models import User


class Country(models.TextChoices):
    """Countries Samvirke serves."""

    DENMARK = "DK", _("Denmark")
    NORWAY = "NO", _("Norway")


class Region(models.Model):
    """A region (DK) or county (NO), valid for a period: regions merge and split."""

    country = models.CharField(_("country"), max_length=2, choices=Country.choices)
    code = models.CharField(_("code"), max_length=20)
    name = models.CharField(_("name"), max_length=200)
    valid_from = models.DateField(_("valid from"))
    valid_to = models.DateField(_("valid to"), null=True, blank=True)
    note = models.TextField(_("note"), blank=True)

    class Meta:
        ordering = ["country", "code"]
        constraints = [
            models.UniqueConstraint(fields=["country", "code"], name="region_unique_code")
        ]

    def __str__(self) -> str:
        return self.name


class OrganisationKind(models.TextChoices):
    """What sort of public body an organisation is."""

    MUNICIPALITY = "municipality", _("Municipality")
    REGION = "region", _("Region")
    STATE_AGENCY = "state_agency", _("State agency")
    ASSOCIATION = "association", _("Association")
    OTHER = "other", _("Other")


class SizeClass(models.TextChoices):
    """Population bands; documented in docs/architecture.md and used as a public grouping."""

    XS = "xs", _("Under 20,000 inhabitants")
    S = "s", _("20,000–49,999 inhabitants")
    M = "m", _("50,000–99,999 inhabitants")
    L = "l", _("100,000 inhabitants or more")
    NONE = "none", _("No population")

    @classmethod
    def for_population(cls, population: int | None) -> SizeClass:
        """Return the band a population falls into."""
        if not population:
            return cls.NONE
        if population < 20_000:
            return cls.XS
        if population < 50_000:
            return cls.S
        if population < 100_000:
            return cls.M
        return cls.L


class Organisation(models.Model):
    """A public body using Samvirke: the tenant. Its listed fields are public facts."""

    code = models.CharField(_("official code"), max_length=30, unique=True)
    name = models.CharField(_("name"), max_length=200)
    kind = models.CharField(_("kind"), max_length=20, choices=OrganisationKind.choices)
    country = models.CharField(_("country"), max_length=2, choices=Country.choices)
    size_class = models.CharField(
        _("size class"), max_length=4, choices=SizeClass.choices, default=SizeClass.NONE
    )
    population = models.PositiveIntegerField(_("population"), null=True, blank=True)
    is_demo = models.BooleanField(_("demo organisation"), default=False)
    is_verified = models.BooleanField(_("verified member"), default=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["country", "name"]

    def __str__(self) -> str:
        return self.name

    def region_on(self, day: datetime.date | None = None) -> Region | None:
        """Return the region the organisation belonged to on a day (today by default)."""
        day = day or timezone.localdate()
        placement = (
            self.placements.filter(valid_from__lte=day)
            .filter(Q(valid_to__isnull=True) | Q(valid_to__gte=day))
            .select_related("region")
            .first()
        )
        return placement.region if placement else None


class RegionPlacement(models.Model):
    """Which region an organisation belongs to, and from when to when."""

    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="placements"
    )
    region = models.ForeignKey(Region, on_delete=models.PROTECT, related_name="placements")
    valid_from = models.DateField(_("valid from"))
    valid_to = models.DateField(_("valid to"), null=True, blank=True)

    class Meta:
        ordering = ["organisation", "valid_from"]
        constraints = [
            models.UniqueConstraint(
                fields=["organisation", "valid_from"], name="placement_unique_start"
            )
        ]

    def __str__(self) -> str:
        return f"{self.organisation_id} in {self.region_id} from {self.valid_from}"


class OrgUnit(OrganisationOwnedModel):
    """A department or unit inside one organisation; units form a tree."""

    name = models.CharField(_("name"), max_length=200)
    code = models.CharField(_("code"), max_length=50, blank=True)
    parent = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="children",
        verbose_name=_("part of"),
    )
    description = models.TextField(_("description"), blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("org unit")
        verbose_name_plural = _("org units")

    def __str__(self) -> str:
        return self.name

    def ancestors(self) -> list[OrgUnit]:
        """Return the chain of parents, nearest first."""
        chain: list[OrgUnit] = []
        node = self.parent
        while node is not None and len(chain) < 100:
            chain.append(node)
            node = node.parent
        return chain

    def clean(self) -> None:
        """Keep the tree inside one organisation and free of cycles."""
        if self.parent is None:
            return
        if self.parent.organisation_id != self.organisation_id:
            raise ValidationError({"parent": _("Choose a unit of your own organisation.")})
        if self.pk is not None and (
            self.parent.pk == self.pk or self.pk in {a.pk for a in self.parent.ancestors()}
        ):
            raise ValidationError({"parent": _("A unit cannot be part of itself.")})


class Network(models.Model):
    """A group of organisations with a steward body that opens measurements for them."""

    code = models.SlugField(_("code"), max_length=60, unique=True)
    name = models.CharField(_("name"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    steward = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, related_name="stewarded_networks"
    )
    is_demo = models.BooleanField(_("demo network"), default=False)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def members_on(self, day: datetime.date | None = None) -> models.QuerySet[Organisation]:
        """Return the organisations that are members on a day (today by default)."""
        day = day or timezone.localdate()
        # One filter() call, so both conditions apply to the same membership row.
        return Organisation.objects.filter(
            Q(network_memberships__left_on__isnull=True) | Q(network_memberships__left_on__gt=day),
            network_memberships__network=self,
            network_memberships__joined_on__lte=day,
        ).distinct()


class NetworkMembership(models.Model):
    """An organisation's membership of a network, with join and leave dates."""

    network = models.ForeignKey(Network, on_delete=models.CASCADE, related_name="memberships")
    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="network_memberships"
    )
    joined_on = models.DateField(_("joined on"))
    left_on = models.DateField(_("left on"), null=True, blank=True)

    class Meta:
        ordering = ["network", "organisation"]
        constraints = [
            models.UniqueConstraint(
                fields=["network", "organisation", "joined_on"], name="network_member_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.organisation_id} in {self.network_id} from {self.joined_on}"


class MembershipQuerySet(models.QuerySet["Membership"]):
    """Reads of memberships."""

    def current(self) -> MembershipQuerySet:
        """Memberships in force today: active and not past an end date."""
        today = timezone.localdate()
        return self.filter(is_active=True).filter(Q(ends_on__isnull=True) | Q(ends_on__gte=today))


MembershipManager = models.Manager.from_queryset(MembershipQuerySet)


class UserMembershipManager(models.Manager["Membership"]):
    """Finds one user's own memberships before any organisation scope exists.

    The request path needs them to choose the active organisation. The queryset is empty unless
    narrowed to one user through `for_user`, so it cannot list other people's memberships.
    """

    def get_queryset(self) -> MembershipQuerySet:
        return MembershipQuerySet(self.model, using=self._db).none()

    def for_user(self, user: User) -> MembershipQuerySet:
        """Return the user's current memberships in every organisation."""
        base = MembershipQuerySet(self.model, using=self._db)
        return base.filter(user=user).current().select_related("organisation")


class Membership(OrganisationOwnedModel):
    """A person's role in one organisation; a person may hold several roles."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships"
    )
    role = models.CharField(_("role"), max_length=30, choices=Role.choices)
    org_unit = models.ForeignKey(
        OrgUnit,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="memberships",
        verbose_name=_("org unit"),
    )
    ends_on = models.DateField(_("ends on"), null=True, blank=True)
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    objects: ClassVar[MembershipManager] = scoped_manager(MembershipQuerySet)  # type: ignore[assignment]
    of_user = UserMembershipManager()

    class Meta:
        ordering = ["organisation", "user", "role"]
        constraints = [
            models.UniqueConstraint(
                fields=["organisation", "user", "role"], name="membership_unique_role"
            )
        ]

    def __str__(self) -> str:
        return f"{self.user} — {self.get_role_display()}"

    @property
    def permissions(self) -> frozenset[str]:
        """The named permissions this membership grants."""
        return role_permissions(self.role)

    def clean(self) -> None:
        """Auditors are time-limited; units must belong to the same organisation."""
        if self.role == Role.AUDITOR and self.ends_on is None:
            raise ValidationError({"ends_on": _("An auditor's access must have an end date.")})
        if self.org_unit is not None and self.org_unit.organisation_id != self.organisation_id:
            raise ValidationError({"org_unit": _("Choose a unit of your own organisation.")})
