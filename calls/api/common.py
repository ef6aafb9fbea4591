"""What the calls API's modules share: the error responses of the schema, and the
patterns of blank and non-blank text."""

from collections_crm.api.exceptions import ErrorSerializer
from collections_crm.api.schema import BLANK_TEXT, NON_BLANK_TEXT

ERRORS = {400: ErrorSerializer, 404: ErrorSerializer}
BLANK = {"pattern": BLANK_TEXT}
NON_BLANK = {"pattern": NON_BLANK_TEXT}
