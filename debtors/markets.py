"""The countries, currencies and contact-policy presets the product serves.

Kept short on purpose: each country here has a contact-policy preset and demo data,
and each name is translated. Add a country here together with its preset.
"""

from django.utils.translation import gettext_lazy as _

COUNTRY_CHOICES = [
    ("AR", _("Argentina")),
    ("BO", _("Bolivia")),
    ("CL", _("Chile")),
    ("CO", _("Colombia")),
    ("CR", _("Costa Rica")),
    ("DO", _("Dominican Republic")),
    ("EC", _("Ecuador")),
    ("ES", _("Spain")),
    ("GT", _("Guatemala")),
    ("HN", _("Honduras")),
    ("MX", _("Mexico")),
    ("PA", _("Panama")),
    ("PE", _("Peru")),
    ("PY", _("Paraguay")),
    ("SV", _("El Salvador")),
    ("US", _("United States")),
    ("UY", _("Uruguay")),
]

CURRENCY_CHOICES = [
    ("ARS", _("Argentine peso")),
    ("BOB", _("Bolivian boliviano")),
    ("CLP", _("Chilean peso")),
    ("COP", _("Colombian peso")),
    ("CRC", _("Costa Rican colón")),
    ("DOP", _("Dominican peso")),
    ("EUR", _("Euro")),
    ("GTQ", _("Guatemalan quetzal")),
    ("HNL", _("Honduran lempira")),
    ("MXN", _("Mexican peso")),
    ("PAB", _("Panamanian balboa")),
    ("PEN", _("Peruvian sol")),
    ("PYG", _("Paraguayan guaraní")),
    ("USD", _("US dollar")),
    ("UYU", _("Uruguayan peso")),
]

CONTACT_POLICY_PRESET_CHOICES = [
    ("us_regf", _("United States: Regulation F (FDCPA)")),
    ("pe", _("Peru: Consumer Code, arts. 61–62")),
    ("cl", _("Chile: Law 19.496, art. 37")),
    ("co", _("Colombia: Law 2300 of 2023")),
    ("mx_fin", _("Mexico: CONDUSEF (financial entities)")),
    ("mx_com", _("Mexico: PROFECO (commercial creditors)")),
    ("es", _("Spain: conservative reference hours")),
    ("ar", _("Argentina: conservative reference hours")),
    ("ec", _("Ecuador: Consumer Protection Law, art. 49")),
]

# What a new portfolio starts with when only its country is known.
COUNTRY_DEFAULTS = {
    "AR": {"currency": "ARS", "time_zone": "America/Argentina/Buenos_Aires", "preset": "ar"},
    "CL": {"currency": "CLP", "time_zone": "America/Santiago", "preset": "cl"},
    "CO": {"currency": "COP", "time_zone": "America/Bogota", "preset": "co"},
    "EC": {"currency": "USD", "time_zone": "America/Guayaquil", "preset": "ec"},
    "ES": {"currency": "EUR", "time_zone": "Europe/Madrid", "preset": "es"},
    "MX": {"currency": "MXN", "time_zone": "America/Mexico_City", "preset": "mx_fin"},
    "PE": {"currency": "PEN", "time_zone": "America/Lima", "preset": "pe"},
    "US": {"currency": "USD", "time_zone": "America/New_York", "preset": "us_regf"},
}
