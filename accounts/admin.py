"""Profiles in the admin, for support: find a display name's account."""

from django.contrib import admin

from accounts.models import Profile


@admin.register(Profile)
class ProfileAdmin(admin.ModelAdmin):
    list_display = ("display_name", "user", "created_at")
    search_fields = ("display_name", "user__username")
    raw_id_fields = ("user",)
    readonly_fields = ("created_at", "updated_at")
