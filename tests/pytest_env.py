"""Loaded by pytest before Django: tests run with development settings (no secret key)."""

import os

os.environ.setdefault("DEBUG", "1")
# Many tests share one process and one throttle cache: a limit would fail tests at random.
# The throttle tests set their own rate.
os.environ.setdefault("API_THROTTLE_USER", "off")
