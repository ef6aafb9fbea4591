"""The API's JSON parser: DRF's, with its refusals in the reader's language and never a 500."""

import codecs
from json import JSONDecodeError

from django.conf import settings
from django.utils.translation import gettext as _
from rest_framework import parsers
from rest_framework.exceptions import ParseError
from rest_framework.utils import json


class JSONParser(parsers.JSONParser):
    """DRF's parser answers "JSON parse error - Expecting value…" in English, and a body nested a
    thousand arrays deep (2 KB) overflows Python's stack: a 500. Both are a 400 here."""

    def parse(self, stream, media_type=None, parser_context=None):
        encoding = (parser_context or {}).get("encoding", settings.DEFAULT_CHARSET)
        try:
            decoded = codecs.getreader(encoding)(stream)
            return json.load(decoded, parse_constant=json.strict_constant if self.strict else None)
        except JSONDecodeError as error:
            raise ParseError(
                _("The request body is not valid JSON (line %(line)s, column %(column)s).")
                % {"line": error.lineno, "column": error.colno}
            ) from None
        except ValueError:  # not text in the declared encoding, or a constant such as NaN
            raise ParseError(_("The request body is not valid JSON.")) from None
        except RecursionError:
            raise ParseError(_("The request body nests its JSON too deeply.")) from None
