"""Pages and feeds of alerts (German paths, as the rest of the citizens' pages)."""

from django.urls import path, re_path

from proposals.alerts import feeds, views

app_name = "alerts"
urlpatterns = [
    path("meldungen/", views.alert_settings, name="settings"),
    path("meldungen/gebiet/", views.area_new, name="area-new"),
    path("meldungen/<int:pk>/loeschen/", views.subscription_delete, name="subscription-delete"),
    path("meldungen/abmelden/<str:token>/", views.unsubscribe, name="unsubscribe"),
    path("folgen/<str:kind>/<int:pk>/", views.follow, name="follow"),
    path("umsetzung/", views.implementation_list, name="implementation"),
    path(
        "projekte/<slug:slug>/umsetzung/",
        views.implementation_list,
        name="project-implementation",
    ),
    path("umsetzung/vorschlaege/<int:pk>/fortschritt/", views.progress_new, name="progress-new"),
    re_path(
        r"^umsetzung/fortschritt/(?P<pk>[0-9]+)/(?P<variant>full|thumb)\.jpg$",
        views.progress_image_file,
        name="progress-image",
    ),
    path("einbetten/projekte/<slug:slug>/", views.embed, name="embed"),
    path("einbetten/projekte/<slug:slug>/code/", views.embed_code_page, name="embed-code"),
    path("feeds/projekte/<slug:slug>.atom", feeds.ProjectFeed(), name="feed-project"),
    path("feeds/vorschlaege/<int:pk>.atom", feeds.ProposalFeed(), name="feed-proposal"),
    path("feeds/bezirke/<slug:slug>.atom", feeds.DistrictFeed(), name="feed-district"),
    path("feeds/gebiet.atom", feeds.BboxFeed(), name="feed-bbox"),
]
