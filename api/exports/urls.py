"""Downloads for GIS staff: exports in standard formats."""

from django.urls import path, re_path

from api.exports import views

app_name = "exports"
urlpatterns = [
    path("", views.index, name="index"),
    # `<dataset>.<ext>`, where the extension may itself contain a dot (`shp.zip`).
    re_path(r"^(?P<dataset>[a-z]+)\.(?P<extension>[a-z.]+)$", views.download, name="download"),
]
