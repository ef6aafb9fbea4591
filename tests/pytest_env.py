"""Loaded by pytest before Django: tests run with development settings (no secret key)."""

import os

os.environ.setdefault("DEBUG", "1")
