from axes.admin import AccessAttemptAdmin, AccessFailureLogAdmin, AccessLogAdmin
from axes.conf import settings as axes_settings
from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from django.contrib import admin
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from collections_crm.lib.admin_lists import BigTableAdmin
from collections_crm.models import Heartbeat

admin.site.site_header = _("Collections CRM administration")
admin.site.site_title = _("Collections CRM administration")


@admin.register(Heartbeat)
class HeartbeatAdmin(admin.ModelAdmin):
    list_display = ("name", "at")


class SignInAttemptAdmin(BigTableAdmin, AccessAttemptAdmin):
    """django-axes' list of failed sign-ins, with its status and clean-up message translatable.

    Axes glues "3 " + "Attempt Remaining" and formats its message in an f-string before
    translating it, so neither can be translated as a sentence.
    """

    date_hierarchy = None  # its year links read every attempt's date; the date filter stays

    @admin.display(description=_("Status"))
    def status(self, obj: AccessAttempt) -> str:
        left = axes_settings.AXES_FAILURE_LIMIT - obj.failures_since_start
        if left > 0:
            return ngettext("%(count)d attempt left", "%(count)d attempts left", left) % {"count": left}
        return _("Locked out")

    @admin.action(description=_("Clean up expired attempts"))
    def cleanup_expired_attempts(self, request, queryset):
        count = self.handler.clean_expired_user_attempts(request=request)
        self.message_user(
            request,
            ngettext("%(count)d expired attempt removed.", "%(count)d expired attempts removed.", count)
            % {"count": count},
        )


class SignInLogAdmin(BigTableAdmin, AccessLogAdmin):
    """Every sign-in, one row each: no year links (they read every row's date) and no filter by
    path (it lists the distinct paths of every row); the date filters stay."""

    date_hierarchy = None
    list_filter = ["attempt_time", "logout_time"]


class SignInFailureLogAdmin(BigTableAdmin, AccessFailureLogAdmin):
    date_hierarchy = None  # as SignInLogAdmin
    list_filter = ["attempt_time", "locked_out"]


if admin.site.is_registered(AccessAttempt):  # AXES_ENABLE_ADMIN
    for model, model_admin in (
        (AccessAttempt, SignInAttemptAdmin),
        (AccessLog, SignInLogAdmin),
        (AccessFailureLog, SignInFailureLogAdmin),
    ):
        admin.site.unregister(model)
        admin.site.register(model, model_admin)
