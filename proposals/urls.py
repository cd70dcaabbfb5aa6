"""Citizen-facing pages of participation."""

from django.urls import include, path, re_path

from proposals import views

app_name = "proposals"
urlpatterns = [
    path("", views.home, name="home"),
    # Under "konto/" beside the account's pages; here because accounts may not know proposals.
    path("konto/beteiligung/", views.my_participation, name="my-participation"),
    path("projekte/<slug:slug>/", views.project_detail, name="project-detail"),
    path("projekte/<slug:slug>/ergebnisse/", views.project_results_page, name="project-results"),
    path(
        "projekte/<slug:slug>/vorschlaege/<int:pk>/", views.proposal_detail, name="proposal-detail"
    ),
    path("projekte/<slug:slug>/vorschlaege/neu/", views.proposal_new, name="proposal-new"),
    path(
        "projekte/<slug:slug>/vorschlaege/<int:pk>/bearbeiten/",
        views.proposal_edit,
        name="proposal-edit",
    ),
    path(
        "projekte/<slug:slug>/vorschlaege/<int:pk>/loeschen/",
        views.proposal_delete_view,
        name="proposal-delete",
    ),
    path(
        "projekte/<slug:slug>/vorschlaege/<int:pk>/kommentare/",
        views.comment_new,
        name="comment-new",
    ),
    path("projekte/<slug:slug>/vorschlaege/<int:pk>/stimme/", views.vote_new, name="vote-new"),
    path(
        "projekte/<slug:slug>/vorschlaege/<int:pk>/stimme/zurueckziehen/",
        views.vote_delete,
        name="vote-delete",
    ),
    re_path(r"^fotos/(?P<pk>[0-9]+)/(?P<variant>full|thumb)\.jpg$", views.photo_file, name="photo"),
    re_path(
        r"^projekte/(?P<slug>[-a-zA-Z0-9_]+)/bild/(?P<variant>full|thumb)\.jpg$",
        views.project_image_file,
        name="project-image",
    ),
    path("", include("proposals.workspace.urls")),
]
