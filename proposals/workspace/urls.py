"""URLs of the planners' workspace (/planung/), and citizens' reports and e-mail choice."""

from django.urls import path

from proposals.workspace import views

app_name = "workspace"
urlpatterns = [
    path("planung/", views.home, name="home"),
    path("planung/vorschlaege/<int:pk>/", views.proposal_review, name="review"),
    path("planung/vorschlaege/<int:pk>/status/", views.proposal_transition, name="transition"),
    path("planung/vorschlaege/<int:pk>/moderieren/", views.proposal_moderate, name="moderate"),
    path("planung/vorschlaege/<int:pk>/zusammenfuehren/", views.proposal_merge, name="merge"),
    path("planung/vorschlaege/<int:pk>/verknuepfen/", views.proposal_link, name="link"),
    path(
        "planung/kommentare/<int:pk>/moderieren/", views.comment_moderate, name="comment-moderate"
    ),
    path("planung/fotos/<int:pk>/moderieren/", views.photo_moderate, name="photo-moderate"),
    path("planung/moderation/", views.moderation, name="moderation"),
    path("planung/analyse/", views.analysis_page, name="analysis"),
    path("planung/stimmzettel/", views.tally_projects, name="tally-projects"),
    path("planung/projekte/<slug:slug>/stimmzettel/", views.tallies, name="tallies"),
    path("melden/<str:kind>/<int:pk>/", views.report, name="report"),
    path("benachrichtigungen/", views.notification_settings, name="notifications"),
    path(
        "benachrichtigungen/<str:token>/",
        views.notification_settings,
        name="notifications-token",
    ),
]
