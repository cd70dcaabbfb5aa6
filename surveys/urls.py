"""URLs of survey pages (/umfragen/) and of the survey builder in the workspace (/planung/)."""

from django.urls import path

from surveys import views

app_name = "surveys"
urlpatterns = [
    path("umfragen/<slug:slug>/", views.survey_page, name="survey"),
    path("umfragen/<slug:slug>/danke/", views.thanks, name="thanks"),
    path("umfragen/<slug:slug>/ergebnisse/", views.results_page, name="results"),
    path("planung/umfragen/", views.builder_home, name="builder-home"),
    path("planung/umfragen/<slug:slug>/", views.builder, name="builder"),
    path("planung/umfragen/<slug:slug>/fragen/<int:pk>/", views.question_edit, name="question"),
    path("planung/umfragen/<slug:slug>/papier/", views.paper_entry, name="paper"),
    path("planung/umfragen/<slug:slug>/ergebnisse/", views.planner_results, name="planner-results"),
]
