from django.apps import AppConfig


class DemoConfig(AppConfig):
    """Demo data (`seed_demo`): it fills every app, so it sits above all of them."""

    name = "demo"
