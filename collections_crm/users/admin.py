from django import forms
from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.http import HttpResponseRedirect
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from collections_crm.lib.admin_lists import BigTableAdmin
from collections_crm.users.models import ApiToken, Team, User
from collections_crm.users.services import api_token_issue, api_token_revoke


@admin.register(User)
class UserAdmin(BigTableAdmin, DjangoUserAdmin):  # 200 collectors: its rows cost render time
    list_display = ("username", "first_name", "last_name", "role", "team", "is_active", "last_login")
    list_filter = ("role", "team", "is_active", "language")
    search_fields = ("username", "first_name", "last_name", "email")
    list_select_related = ("team",)
    # Also the order of every user picker that goes through this admin (autocomplete, filters),
    # which show people by full name.
    ordering = ("first_name", "last_name", "username")
    fieldsets = DjangoUserAdmin.fieldsets + (
        (
            _("Collections"),
            {"fields": ("role", "team", "language", "time_zone", "dialer_extension", "dialer_agent_user")},
        ),
    )
    add_fieldsets = DjangoUserAdmin.add_fieldsets + (
        (
            _("Collections"),
            {"fields": ("role", "team", "language", "time_zone", "dialer_extension", "dialer_agent_user")},
        ),
    )


@admin.register(Team)
class TeamAdmin(admin.ModelAdmin):
    list_display = ("name", "supervisor", "created_at")
    search_fields = ("name", "supervisor__username", "supervisor__last_name")
    list_select_related = ("supervisor",)
    autocomplete_fields = ("supervisor",)


class ApiTokenIssueForm(forms.ModelForm):
    class Meta:
        model = ApiToken
        fields = ("user", "name")


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    """Issue and revoke API tokens. The key is shown once, on the page after issuing it."""

    list_display = ("name", "user", "prefix", "created_at", "created_by", "last_used_at", "revoked_at")
    list_filter = (("revoked_at", admin.EmptyFieldListFilter),)
    search_fields = ("name", "user__username", "prefix")
    list_select_related = ("user", "created_by")
    autocomplete_fields = ("user",)
    readonly_fields = ("user", "name", "prefix", "created_at", "created_by", "last_used_at", "revoked_at", "revoked_by")
    actions = ["revoke_selected"]

    def get_form(self, request, obj=None, change=False, **kwargs):
        if obj is None:
            kwargs["form"] = ApiTokenIssueForm
        return super().get_form(request, obj, change, **kwargs)

    def get_readonly_fields(self, request, obj=None):
        return () if obj is None else self.readonly_fields

    def get_fields(self, request, obj=None):
        return ("user", "name") if obj is None else self.readonly_fields

    def has_delete_permission(self, request, obj=None):
        # Revoked tokens stay listed: who had access, and until when.
        return False

    def save_model(self, request, obj, form, change):
        if change:
            return
        token, key = api_token_issue(
            user=form.cleaned_data["user"], name=form.cleaned_data["name"], created_by=request.user
        )
        obj.pk = token.pk
        obj.__dict__.update(token.__dict__)
        messages.warning(
            request,
            format_html(
                _(
                    "The token for {user} is <code>{key}</code>. Copy it now: it is not stored and will not be shown again."
                ),
                user=token.user,
                key=key,
            ),
        )

    def response_add(self, request, obj, post_url_continue=None):
        # Back to the list, where the message with the key shows once.
        return HttpResponseRedirect(reverse("admin:users_apitoken_changelist"))

    @admin.action(description=_("Revoke the selected tokens"))
    def revoke_selected(self, request, queryset):
        revoked = sum(api_token_revoke(token=token, by=request.user) for token in queryset)
        self.message_user(
            request, ngettext("%(count)d token revoked.", "%(count)d tokens revoked.", revoked) % {"count": revoked}
        )
