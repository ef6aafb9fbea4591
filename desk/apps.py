from django.apps import AppConfig


class DeskConfig(AppConfig):
    """The pages a collector works in all day; above calls, promises and debtors, whose
    services and selectors they call."""

    name = "desk"
