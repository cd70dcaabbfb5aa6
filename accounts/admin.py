"""Profiles in the admin, for support: find a display name's account."""

from django.contrib import admin

from accounts.models import Profile


@admin.register(Profile)
class ProfileAdmin(admin.ModelAdmin):
    list_display = ("display_name", "pseudonym", "user", "created_at")
    search_fields = ("display_name", "pseudonym", "user__username")
    raw_id_fields = ("user",)
    readonly_fields = ("pseudonym", "created_at", "updated_at")
