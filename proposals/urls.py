"""Citizen-facing pages of participation."""

from django.urls import path

app_name = "proposals"
urlpatterns: list = []
