"""Insert a row with its field rules checked in Python and its constraints checked once, by
the database.

`Model.full_clean()` checks every CheckConstraint with a SELECT of its own inside a savepoint
and every foreign key with another SELECT: 31 statements for a plain logged call, 59 with a
promise, re-checking what the INSERT itself enforces. Services validate what a user can get
wrong before they write (with messages of their own); the database's constraints are the last
guard, and a violation still reaches the caller as a ValidationError, never a 500.
"""

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction


def save_checked(instance, *, savepoint: bool = True) -> None:
    """`savepoint=False` for a service whose whole transaction fails with the row (two round
    trips fewer); the default leaves the caller's transaction usable after a refused row."""
    relations = [field.name for field in instance._meta.concrete_fields if field.is_relation]
    instance.full_clean(exclude=relations, validate_constraints=False)
    try:
        with transaction.atomic(savepoint=savepoint):
            instance.save(force_insert=True)
    except IntegrityError as error:
        raise ValidationError(violated_constraint_messages(instance, error)) from error


def violated_constraint_messages(instance, error: IntegrityError) -> list[str]:
    """The violated constraint's own message, found by its name in the database's error
    (SQLite: "CHECK constraint failed: <name>"; PostgreSQL: 'violates check constraint "<name>"')."""
    text = str(error)
    names = sorted((c for c in instance._meta.constraints if c.name in text), key=lambda c: -len(c.name))
    if names:
        return [names[0].get_violation_error_message()]
    raise error
