"""Citizen-facing pages of participation."""

from django.urls import path

from proposals import views

app_name = "proposals"
urlpatterns = [
    path("", views.home, name="home"),
    path("projekte/<slug:slug>/", views.project_detail, name="project-detail"),
    path(
        "projekte/<slug:slug>/vorschlaege/<int:pk>/", views.proposal_detail, name="proposal-detail"
    ),
]
