from django.conf import settings
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.templatetags.static import static
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST
from django.views.i18n import set_language as django_set_language

from collections_crm.users import services as user_services
from collections_crm.users.forms import PreferencesForm


class LoginView(auth_views.LoginView):
    """Sign-in that carries the language choice across: a language picked on the
    sign-in page becomes the user's preference; otherwise the saved preference wins."""

    redirect_authenticated_user = True

    def form_valid(self, form):
        response = super().form_valid(form)
        user = form.get_user()
        chosen = self.request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME)
        if chosen in dict(settings.LANGUAGES) and chosen != user.language:
            user_services.user_set_language(user=user, language=chosen)
        response.set_cookie(settings.LANGUAGE_COOKIE_NAME, user.language, samesite="Lax")
        return response


@require_POST
def set_language(request):
    """Django's language switch, which also remembers the choice for a signed-in user."""
    response = django_set_language(request)
    language = request.POST.get("language")
    if request.user.is_authenticated and language in dict(settings.LANGUAGES):
        user_services.user_set_language(user=request.user, language=language)
    return response


@login_required
def home(request):
    """Each role lands where its day starts."""
    user = request.user
    if user.is_crm_admin:
        return redirect("debtors:portfolios")
    if user.is_supervisor:
        return redirect("promises:dashboard")
    from desk.views import queue

    return queue(request)


@login_required
def preferences(request):
    user = request.user
    form = PreferencesForm(request.POST or None, initial={"language": user.language, "time_zone": user.time_zone})
    if request.method == "POST" and form.is_valid():
        user_services.user_update_preferences(user=user, **form.cleaned_data)
        translation.activate(user.language)
        messages.success(request, _("Your preferences were saved."))
        response = redirect("preferences")
        response.set_cookie(settings.LANGUAGE_COOKIE_NAME, user.language, samesite="Lax")
        return response
    return render(request, "registration/preferences.html", {"form": form})


def favicon(request):
    """Our icon for pages without our <link rel="icon"> (the admin, the API docs): browsers ask
    for /favicon.ico. Resolved per request: the static manifest may not exist at import time."""
    return redirect(static("img/favicon.svg"), permanent=True)
