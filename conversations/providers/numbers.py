"""Phone numbers from providers, as E.164 (the form the debtors' numbers are stored in)."""

import phonenumbers


def e164_or_empty(number: str) -> str:
    """'+51 987 654 321', '51987654321' (WhatsApp's wa_id, no plus) → '+51987654321'."""
    number = number.strip()
    if number and not number.startswith("+"):
        number = f"+{number}"
    try:
        parsed = phonenumbers.parse(number, None)
    except phonenumbers.NumberParseException:
        return ""
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)
