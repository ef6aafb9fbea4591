"""Texts of libraries whose translations we correct or supply.

Django reads the catalogues of LOCALE_PATHS before any app's, so an entry in our
locale/*/django.po replaces a library's own translation. Marking the library's texts here
keeps them in our catalogue when it is extracted again, and the translation test holds each
of them to a Spanish translation. Nothing imports this module: it exists to be extracted.
"""

from django.utils.translation import gettext_noop

# Django REST framework's Spanish reads "El archivo enviado está vació" (sic). DRF comes
# before Django in INSTALLED_APPS, so its typo reached the HTML upload forms as well.
DJANGO_REST_FRAMEWORK = [
    gettext_noop("The submitted file is empty."),
]

# django-axes (sign-in throttling) ships no Spanish: its admin pages (the app, models,
# fields, filters and actions) and its lockout messages.
DJANGO_AXES = [
    gettext_noop("Access Attempt"),
    gettext_noop("Access lock out"),
    gettext_noop("Account locked: too many login attempts. Contact an admin to unlock your account."),
    gettext_noop("Account locked: too many login attempts. Please try again later."),
    gettext_noop("Attempt Remaining"),
    gettext_noop("Attempt Time"),
    gettext_noop("Clean up expired attempts"),
    gettext_noop("Expires At"),
    gettext_noop("Failed Logins"),
    gettext_noop("Form Data"),
    gettext_noop("GET Data"),
    gettext_noop("HTTP Accept"),
    gettext_noop("IP Address"),
    gettext_noop("Locked Out"),
    gettext_noop("Logout Time"),
    gettext_noop("Meta Data"),
    gettext_noop("Not set"),
    gettext_noop("POST Data"),
    gettext_noop("Path"),
    gettext_noop("Session key hash (sha256)"),
    gettext_noop("The time when access attempt expires and is no longer valid."),
    gettext_noop("User Agent"),
    gettext_noop("access attempt expiration"),
    gettext_noop("access attempt expirations"),
    gettext_noop("access attempt"),
    gettext_noop("access attempts"),
    gettext_noop("access failure"),
    gettext_noop("access failures"),
    gettext_noop("access log"),
    gettext_noop("access logs"),
]
