from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.utils.translation import gettext_lazy as _

from collections_crm.users.models import Team, User


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    list_display = ("username", "first_name", "last_name", "role", "team", "is_active", "last_login")
    list_filter = ("role", "team", "is_active", "language")
    search_fields = ("username", "first_name", "last_name", "email")
    fieldsets = DjangoUserAdmin.fieldsets + (
        (_("Collections"), {"fields": ("role", "team", "language", "time_zone")}),
    )
    add_fieldsets = DjangoUserAdmin.add_fieldsets + (
        (_("Collections"), {"fields": ("role", "team", "language", "time_zone")}),
    )


@admin.register(Team)
class TeamAdmin(admin.ModelAdmin):
    list_display = ("name", "supervisor", "created_at")
    search_fields = ("name", "supervisor__username", "supervisor__last_name")
    autocomplete_fields = ("supervisor",)
