"""The API's documentation pages (Swagger UI, Redoc) under the site's Content-Security-Policy.

drf-spectacular's own templates carry an inline <style> and, for Redoc and the one-piece
Swagger view, an inline <script>. Ours (templates/api/) link a stylesheet instead, Swagger UI
loads its start-up script from the split view's second URL, and Redoc starts from its
<redoc spec-url> element. Swagger UI draws its icons as data: images; Redoc builds its styles
at run time (styled-components writes <style> elements), so its page alone may use inline
styles. Scripts stay strict on both.
"""

from csp.constants import SELF, UNSAFE_INLINE
from csp.decorators import csp_update
from django.utils.decorators import method_decorator
from drf_spectacular.views import SpectacularRedocView, SpectacularSwaggerSplitView


# Swagger UI draws its icons as data: SVG images.
@method_decorator(csp_update({"img-src": [SELF, "data:"]}), name="dispatch")
class ApiSwaggerView(SpectacularSwaggerSplitView):
    template_name = "api/swagger_ui.html"


# Redoc's footer also asks Redocly's CDN for its logo: left blocked (no request leaves for a
# third party; the footer keeps its text).
@method_decorator(
    csp_update({"style-src": [SELF, UNSAFE_INLINE], "img-src": [SELF, "data:"], "worker-src": [SELF, "blob:"]}),
    name="dispatch",
)
class ApiRedocView(SpectacularRedocView):
    template_name = "api/redoc.html"
