"""Pages for GIS staff: the data page and the access tokens (language-prefixed pages)."""

from django.urls import path

from api.staff import views

app_name = "staff"
urlpatterns = [
    path("gis/daten/", views.data, name="data"),
    path("konto/zugangsschluessel/", views.tokens, name="tokens"),
]
