"""The base of every organisation-owned model: an organisation foreign key and a scoped manager."""

from typing import Any, ClassVar

from django.db import models
from django_scopes import ScopedManager

#: The one scope dimension. Its value is always an organisation id or an empty list, never None:
#: django-scopes reads None as "every organisation".
SCOPE = "organisation"


def scoped_manager(queryset_class: type[models.QuerySet[Any]] | None = None) -> models.Manager[Any]:
    """A django-scopes manager on the organisation dimension, optionally with a custom queryset."""
    manager_class = (
        models.Manager.from_queryset(queryset_class) if queryset_class else models.Manager
    )
    manager: models.Manager[Any] = ScopedManager(organisation=SCOPE, _manager_class=manager_class)
    return manager


class OrganisationOwnedModel(models.Model):
    """Content that belongs to one organisation; queries outside a scope fail loudly."""

    organisation = models.ForeignKey(
        "tenancy.Organisation",
        on_delete=models.CASCADE,
        related_name="%(class)s_set",
        editable=False,
    )

    objects: ClassVar[models.Manager[Any]] = scoped_manager()

    class Meta:
        abstract = True

    def save(self, *args: Any, **kwargs: Any) -> None:
        """Refuse to move an object to another organisation after it was created."""
        if self.pk is not None and not self._state.adding:
            stored = type(self).objects.filter(pk=self.pk).values_list("organisation_id", flat=True)
            if stored and stored[0] != self.organisation_id:
                raise ValueError("An object cannot move to another organisation")
        super().save(*args, **kwargs)


class DigestLookupManager(models.Manager[Any]):
    """Finds one object by the digest of a secret before any organisation scope exists.

    Authentication (API tokens) and accepting an invitation must find their object first and
    only then know the organisation. The queryset is empty unless narrowed to one digest, so this
    manager can list nothing.
    """

    def get_queryset(self) -> models.QuerySet[Any]:
        return super().get_queryset().none()

    def by_digest(self, key_digest: str, **filters: Any) -> Any:
        """Return the object whose `key_digest` matches (and that meets the filters), or None."""
        queryset: models.QuerySet[Any] = models.QuerySet(self.model, using=self._db)
        return queryset.filter(key_digest=key_digest, **filters).first()
