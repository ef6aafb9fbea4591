"""Saved filters written by supervisors and admins; the same rules from the API and the admin."""

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import ProtectedError
from django.utils.translation import gettext_lazy as _

from debtors.models import SavedFilter


def _may_write(user) -> None:
    if not (user.is_supervisor or user.is_crm_admin):
        raise PermissionDenied


@transaction.atomic
def saved_filter_save(*, by, name: str, query: str, saved_filter: SavedFilter | None = None) -> SavedFilter:
    """Create a saved filter, or change one; the conditions are checked as the debtor list
    would read them, so that a saved filter always means something."""
    _may_write(by)
    if saved_filter is None:
        saved_filter = SavedFilter(created_by=by)
    saved_filter.name = name.strip()
    saved_filter.query = query.strip().lstrip("?")
    saved_filter.full_clean()
    try:
        with transaction.atomic():
            saved_filter.save()
    except IntegrityError:  # another request took the name since full_clean looked
        taken = SavedFilter._meta.get_field("name").error_messages["unique"]
        raise ValidationError({"name": ValidationError(taken, code="unique")}) from None
    return saved_filter


@transaction.atomic
def saved_filter_delete(*, by, saved_filter: SavedFilter) -> None:
    """Delete a saved filter no segment uses (a segment would silently widen to everyone)."""
    _may_write(by)
    try:
        saved_filter.delete()
    except ProtectedError:
        names = ", ".join(sorted(segment.name for segment in saved_filter.segments.all()))
        raise ValidationError(
            _("These segments use this filter: %(names)s. Change them first.") % {"names": names},
            code="in_use",
        ) from None
