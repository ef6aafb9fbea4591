from collections_crm.api.fields import MAX_ID


class IdConverter:
    """A positive id of at most 18 digits: longer ones answer 404 instead of overflowing the database."""

    regex = "[0-9]{1,18}"

    def to_python(self, value):
        return int(value)

    def to_url(self, value):
        return str(value)


SCHEMA = {"type": "integer", "minimum": 1, "maximum": MAX_ID}
