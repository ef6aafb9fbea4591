"""Downloads that stay cheap however large: CSV streamed row by row, files served by byte range."""

import csv
import re
from decimal import Decimal

from django.http import FileResponse, HttpResponse, StreamingHttpResponse

# A cell a spreadsheet would run as a formula when it starts with one of these (OWASP, "CSV
# Injection"). A quote in front makes Excel, LibreOffice and Google Sheets show it as text.
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
# A plain number cannot be a formula: "-250.00" or "+51987654321" stays a number in the sheet.
_PLAIN_NUMBER = re.compile(r"^[+-]?\d+(?:[.,]\d+)?$")


def spreadsheet_safe(value):
    """The value as a CSV cell that no spreadsheet program will evaluate.

    Numbers (int, Decimal, float) pass as they are, so a negative amount stays numeric; text
    that starts like a formula gets a leading single quote, unless it is a plain number."""
    if value is None or isinstance(value, (int, float, Decimal)):
        return value
    text = str(value)
    if text.startswith(_FORMULA_STARTS) and not _PLAIN_NUMBER.match(text):
        return "'" + text
    return text


class SafeCsvWriter:
    """csv.writer whose every cell goes through spreadsheet_safe: use it for every CSV we write."""

    def __init__(self, file, **options):
        self._writer = csv.writer(file, **options)

    def writerow(self, row):
        return self._writer.writerow([spreadsheet_safe(value) for value in row])

    def writerows(self, rows):
        for row in rows:
            self.writerow(row)


class _Echo:
    def write(self, value):
        return value


def csv_response(filename: str, header: list, rows) -> StreamingHttpResponse:
    """A CSV download streamed row by row: memory stays flat however many rows there are."""
    writer = SafeCsvWriter(_Echo())

    def lines():
        yield "\ufeff"  # BOM: spreadsheet programs then read UTF-8 names correctly
        yield writer.writerow([str(title) for title in header])
        for row in rows:
            yield writer.writerow(row)

    response = StreamingHttpResponse(lines(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


_BYTE_RANGE = re.compile(r"^bytes=(\d*)-(\d*)$")
_CHUNK = 64 * 1024


def _chunks(handle, length: int):
    try:
        while length > 0:
            block = handle.read(min(_CHUNK, length))
            if not block:
                break
            length -= len(block)
            yield block
    finally:
        handle.close()


def ranged_file_response(request, field_file, content_type: str):
    """Serve a stored file, answering a single `Range: bytes=…` with 206.

    Browsers' audio players ask for ranges to seek; Django's FileResponse sends the whole file
    every time, so seeking into a long recording would not work without this. Several ranges
    in one request are answered with the whole file (allowed by RFC 9110)."""
    size = field_file.size
    handle = field_file.open("rb")
    match = _BYTE_RANGE.match(request.headers.get("Range", "").replace(" ", ""))
    if not match or not (match[1] or match[2]):
        response = FileResponse(handle, content_type=content_type)
        response["Accept-Ranges"] = "bytes"
        return response
    if match[1]:
        start = int(match[1])
        end = min(int(match[2]), size - 1) if match[2] else size - 1
    else:  # "bytes=-N": the last N bytes
        start, end = max(size - int(match[2]), 0), size - 1
    if start >= size or start > end:
        handle.close()
        response = HttpResponse(status=416)
        response["Content-Range"] = f"bytes */{size}"
        return response
    handle.seek(start)
    response = StreamingHttpResponse(_chunks(handle, end - start + 1), status=206, content_type=content_type)
    response["Content-Range"] = f"bytes {start}-{end}/{size}"
    response["Content-Length"] = str(end - start + 1)
    response["Accept-Ranges"] = "bytes"
    return response
