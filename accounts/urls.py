"""URLs of our account pages (under /konto/, next to allauth's)."""

from django.urls import path

from accounts import views

app_name = "accounts"
urlpatterns = [
    path("profil/", views.profile, name="profile"),
    path("daten/", views.data_export, name="export"),
    path("loeschen/", views.account_delete, name="delete"),
]
