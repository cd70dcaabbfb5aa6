"""Accounts: sign-up and login (django-allauth), public profiles, own data export and deletion."""
