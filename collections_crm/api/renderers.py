"""Renderers of the API's file answers: a client may ask for the file's media type, and errors
still go out as JSON."""

from rest_framework.renderers import BaseRenderer, JSONRenderer


class FileRenderer(BaseRenderer):
    charset = None

    def render(self, data, accepted_media_type=None, renderer_context=None):
        return data if isinstance(data, bytes) else JSONRenderer().render(data)


class ZipRenderer(FileRenderer):
    media_type = "application/zip"
    format = "zip"


class PdfRenderer(FileRenderer):
    media_type = "application/pdf"
    format = "pdf"
