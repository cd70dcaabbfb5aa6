"""The admin: every model's pages render for a superuser, maps on vendored OpenLayers, no CDN."""

from __future__ import annotations

import io
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.contrib.gis.geos import MultiPolygon, Point, Polygon
from django.core import mail
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from accounts import roles
from audit.models import AuditEntry
from geo.models import Area
from infra.images import clean_image
from locations.models import Site
from proposals import services
from proposals.models import Project, Proposal, Vote
from proposals.photos import NewPhoto, store_photos
from proposals.services import roles_ensure
from tests.factories import (
    INSIDE,
    OUTSIDE,
    AreaFactory,
    CategoryFactory,
    CommentFactory,
    ProjectFactory,
    ProposalFactory,
    SiteFactory,
    UserFactory,
    VoteFactory,
)
from tests.html_hosts import referenced_hosts
from tests.images import assert_no_metadata, jpeg_with_gps

pytestmark = pytest.mark.django_db

TILE_HOST = "tiles.example.test"
MODELS = [
    ("geo", "area"),
    ("locations", "site"),
    ("proposals", "project"),
    ("proposals", "proposal"),
    ("proposals", "comment"),
    ("proposals", "vote"),
]


@pytest.fixture(autouse=True)
def tiles(settings: Any) -> Any:
    settings.MAP_TILE_URL = f"https://{TILE_HOST}/{{z}}/{{x}}/{{y}}.png"
    settings.MAP_TILE_ATTRIBUTION = "© Example tiles"
    return settings


@pytest.fixture
def admin_client(client: Any) -> Any:
    user = get_user_model().objects.create_superuser("chef", "chef@example.org", "pw-12345-x")
    client.force_login(user)
    return client


@pytest.fixture
def data() -> dict[str, Any]:
    project = ProjectFactory()
    CategoryFactory(project=project)
    vote = VoteFactory(proposal__project=project)
    return {
        "area": AreaFactory(),
        "site": SiteFactory(),
        "project": project,
        "proposal": vote.proposal,
        "comment": CommentFactory(proposal=vote.proposal),
        "vote": vote,
    }


def widget_value(geometry: Any) -> str:
    """What the map widget posts: GeoJSON in the map's Web Mercator (EPSG:3857)."""
    return geometry.transform(3857, clone=True).geojson


def assert_no_third_party_host(html: str) -> None:
    assert referenced_hosts(html) <= {TILE_HOST}
    assert "cdn." not in html


@pytest.mark.parametrize(("app", "model"), MODELS)
def test_changelist_and_change_pages_render(
    admin_client: Any, data: dict[str, Any], app: str, model: str
) -> None:
    changelist = admin_client.get(reverse(f"admin:{app}_{model}_changelist"))
    change = admin_client.get(reverse(f"admin:{app}_{model}_change", args=[data[model].pk]))

    assert changelist.status_code == 200
    assert change.status_code == 200
    assert_no_third_party_host(changelist.content.decode())
    assert_no_third_party_host(change.content.decode())


# Proposals, comments and votes are made by people on the site, through their services.
@pytest.mark.parametrize(
    ("app", "model"), [m for m in MODELS if m[1] not in {"proposal", "comment", "vote"}]
)
def test_add_pages_render_without_a_cdn(admin_client: Any, app: str, model: str) -> None:
    response = admin_client.get(reverse(f"admin:{app}_{model}_add"))

    assert response.status_code == 200
    assert_no_third_party_host(response.content.decode())


@pytest.mark.parametrize(("app", "model"), [("geo", "area"), ("locations", "site")])
def test_map_widgets_load_the_vendored_openlayers_and_the_tile_setting(
    admin_client: Any, app: str, model: str
) -> None:
    html = admin_client.get(reverse(f"admin:{app}_{model}_add")).content.decode()

    assert "/static/vendor/ol/ol.js" in html
    assert "/static/vendor/ol/ol.css" in html
    assert "/static/gis/js/OLMapWidget.js" in html
    assert f"https://{TILE_HOST}/{{z}}/{{x}}/{{y}}.png" in html.replace("\\u002D", "-")
    assert "ol.source.OSM" not in html


def test_empty_maps_centre_on_the_city(admin_client: Any) -> None:
    AreaFactory(
        kind=Area.Kind.CITY,
        geometry=MultiPolygon(Polygon.from_bbox((7.6, 49.3, 7.9, 49.5)), srid=4326),
    )

    html = admin_client.get(reverse("admin:locations_site_add")).content.decode()

    assert "options['default_lon'] = 7." in html
    assert "options['default_lat'] = 49." in html


def test_votes_are_read_only_and_never_show_the_voter(
    admin_client: Any, data: dict[str, Any]
) -> None:
    vote = data["vote"]
    change_url = reverse("admin:proposals_vote_change", args=[vote.pk])

    assert admin_client.get(reverse("admin:proposals_vote_add")).status_code == 403
    assert admin_client.post(change_url, {"weight": 5}).status_code == 403
    delete_url = reverse("admin:proposals_vote_delete", args=[vote.pk])
    assert admin_client.post(delete_url, {"post": "yes"}).status_code == 403
    vote.refresh_from_db()
    assert vote.weight == 1 and Vote.objects.filter(pk=vote.pk).exists()
    for url in (reverse("admin:proposals_vote_changelist"), change_url):
        assert vote.user.username not in admin_client.get(url).content.decode()


def test_site_admin_saves_through_the_service_deriving_the_district(admin_client: Any) -> None:
    district = AreaFactory(name="Innenstadt-West")
    outline = MultiPolygon(Polygon.from_bbox((7.76, 49.44, 7.77, 49.445)), srid=4326)

    response = admin_client.post(
        reverse("admin:locations_site_add"),
        {
            "name": "  Stiftsplatz  ",
            "slug": "stiftsplatz",
            "kind": Site.Kind.SQUARE,
            "description": "",
            "location": "",
            "outline": widget_value(outline),
            "attributes": "{}",
            "external_id": "",
        },
    )

    assert response.status_code == 302, response.content.decode()[:3000]
    site = Site.objects.get(slug="stiftsplatz")
    assert site.name == "Stiftsplatz"  # the service strips it
    assert site.district == district
    assert site.outline is not None and site.outline.covers(site.location)
    assert site.created_by is not None and site.created_by.username == "chef"


def test_site_admin_refuses_a_site_without_place_with_a_message(admin_client: Any) -> None:
    response = admin_client.post(
        reverse("admin:locations_site_add"),
        {"name": "Nirgends", "slug": "nirgends", "kind": Site.Kind.OTHER, "attributes": "{}"},
    )

    assert response.status_code == 200
    assert "location" in response.context["adminform"].form.errors
    assert not Site.objects.filter(slug="nirgends").exists()


def test_site_admin_updates_the_district_when_the_point_moves(admin_client: Any) -> None:
    AreaFactory(name="Nord", geometry=MultiPolygon(Polygon.from_bbox((7.7, 49.44, 7.8, 49.5))))
    south = AreaFactory(
        name="Süd", geometry=MultiPolygon(Polygon.from_bbox((7.7, 49.4, 7.8, 49.44)))
    )
    site = SiteFactory(location=Point(7.75, 49.45, srid=4326))

    response = admin_client.post(
        reverse("admin:locations_site_change", args=[site.pk]),
        {
            "name": site.name,
            "slug": site.slug,
            "kind": site.kind,
            "location": widget_value(Point(7.75, 49.42, srid=4326)),
            "outline": "",
            "attributes": "{}",
        },
    )

    assert response.status_code == 302
    site.refresh_from_db()
    assert site.district == south


# --- staff who are not superusers: the admin follows the same rules as every surface -------


@pytest.fixture
def staff(db: Any) -> Any:
    """Log a planner or a GIS staff member into the admin (staff flag + their role's grants)."""
    roles_ensure()

    def login(client: Any, role: str) -> Any:
        user = UserFactory(role=role)
        get_user_model().objects.filter(pk=user.pk).update(is_staff=True)
        client.force_login(user)
        return user

    return login


@pytest.mark.parametrize("role", [roles.PLANNER, roles.GIS_STAFF])
def test_nobody_finds_a_voters_choices_in_the_admin(client: Any, staff: Any, role: str) -> None:
    staff(client, role)
    vote = VoteFactory(proposal__title="Geheime Wahl")
    voter = vote.user
    votes = reverse("admin:proposals_vote_changelist")
    assert client.get(votes, {"project__id__exact": vote.project_id}).status_code == 200

    for params in [
        {"user": voter.pk},
        {"user__id__exact": voter.pk},
        {"user__username": voter.username},
        {"user__lt": voter.pk + 1},
        {"proposal__votes__user": voter.pk},
    ]:
        assert client.get(votes, params).status_code == 400, params
    proposals = reverse("admin:proposals_proposal_changelist")
    assert client.get(proposals, {"votes__user": voter.pk}).status_code == 400
    change = client.get(reverse("admin:proposals_vote_change", args=[vote.pk])).content.decode()
    assert "Geheime Wahl" in change
    assert str(vote) == f"1 → {vote.proposal_id}"  # titles and deletion lists name no voter
    assert voter.username not in change


def test_gis_staff_see_in_the_admin_only_what_the_public_sees(client: Any, staff: Any) -> None:
    project = ProjectFactory()
    shown = ProposalFactory(project=project, title="Sichtbar")
    pending = ProposalFactory(
        project=project, title="Wartet", visibility=Proposal.Visibility.PENDING
    )
    hidden = ProposalFactory(
        project=project, title="Versteckt", visibility=Proposal.Visibility.HIDDEN
    )
    draft = ProjectFactory(title="Entwurfsprojekt", is_published=False)
    in_draft = ProposalFactory(project=draft, title="Im Entwurf")
    kept = CommentFactory(proposal=shown, body="Freundlich")
    removed = CommentFactory(proposal=shown, body="Beleidigend", is_hidden=True)
    on_pending = CommentFactory(proposal=pending, body="Zur wartenden Idee")
    vote_shown = VoteFactory(proposal=shown)
    vote_hidden = VoteFactory(proposal=hidden)

    def visible(user_role: str) -> dict[str, set[int]]:
        client.logout()
        staff(client, user_role)
        seen = {}
        for model, objects in [
            ("proposal", [shown, pending, hidden, in_draft]),
            ("comment", [kept, removed, on_pending]),
            ("project", [project, draft]),
            ("vote", [vote_shown, vote_hidden]),
        ]:
            listing = client.get(reverse(f"admin:proposals_{model}_changelist"))
            assert listing.status_code == 200
            listed = {o.pk for o in listing.context["cl"].result_list}
            opened = {
                o.pk
                for o in objects
                if client.get(reverse(f"admin:proposals_{model}_change", args=[o.pk])).status_code
                == 200
            }
            assert listed == opened
            seen[model] = listed
        return seen

    assert visible(roles.GIS_STAFF) == {
        "proposal": {shown.pk},
        "comment": {kept.pk},
        "project": {project.pk},
        "vote": {vote_shown.pk},
    }
    assert visible(roles.PLANNER) == {
        "proposal": {shown.pk, pending.pk, hidden.pk, in_draft.pk},
        "comment": {kept.pk, removed.pk, on_pending.pk},
        "project": {project.pk, draft.pk},
        "vote": {vote_shown.pk, vote_hidden.pk},
    }


def change_data(proposal: Proposal, **extra: Any) -> dict[str, Any]:
    return {
        "title": proposal.title,
        "description": proposal.description,
        "category": proposal.category_id or "",
        "location": widget_value(proposal.location),
        **extra,
    }


def test_workflow_fields_are_read_only_and_edits_are_checked_and_audited(
    client: Any, staff: Any
) -> None:
    planner_user = staff(client, roles.PLANNER)
    proposal = ProposalFactory(author=None)  # the account was deleted: still editable
    url = reverse("admin:proposals_proposal_change", args=[proposal.pk])

    response = client.post(
        url,
        change_data(
            proposal,
            title="Neuer Titel",
            status=Proposal.Status.ACCEPTED,
            visibility=Proposal.Visibility.HIDDEN,
            merged_into=ProposalFactory(project=proposal.project).pk,
        ),
    )
    assert response.status_code == 302, response.content.decode()[-3000:]
    proposal.refresh_from_db()
    assert proposal.title == "Neuer Titel"
    assert (proposal.status, proposal.visibility, proposal.merged_into_id) == (
        Proposal.Status.SUBMITTED,
        Proposal.Visibility.PUBLISHED,
        None,
    )
    entry = AuditEntry.objects.get(action="proposal.edit")
    assert entry.actor == planner_user
    assert entry.after == {"title": "Neuer Titel"} and set(entry.before) == {"title"}

    # The perimeter check of the services: a place outside the project is refused, as a form error.
    outside = client.post(url, change_data(proposal, location=widget_value(OUTSIDE)))
    assert outside.status_code == 200
    assert "location" in outside.context["adminform"].form.errors
    proposal.refresh_from_db()
    assert proposal.location.equals_exact(INSIDE, 1e-9)

    comment = CommentFactory(proposal=proposal, body="Original")
    client.post(
        reverse("admin:proposals_comment_change", args=[comment.pk]),
        {"body": "Verfälscht", "is_hidden": "on"},
    )
    comment.refresh_from_db()
    assert (comment.body, comment.is_hidden) == ("Original", False)


def test_admin_actions_call_the_moderation_and_review_services(
    client: Any, staff: Any, django_capture_on_commit_callbacks: Any
) -> None:
    staff(client, roles.PLANNER)
    author = UserFactory(email="autorin@example.org")
    proposal = ProposalFactory(author=author, project__office="Referat Stadtentwicklung")
    comment = CommentFactory(proposal=proposal, author=author)
    proposals = reverse("admin:proposals_proposal_changelist")
    comments = reverse("admin:proposals_comment_changelist")

    def act(url: str, action: str, pk: int, text: str = "") -> Any:
        return client.post(
            url, {"action": action, "_selected_action": [pk], "text": text}, follow=True
        )

    # Hiding needs the reason: refused with the service's message, nothing changed.
    page = act(proposals, "moderate_hide", proposal.pk)
    assert "Geben Sie an, warum ausgeblendet wird" in page.content.decode()
    proposal.refresh_from_db()
    assert proposal.visibility == Proposal.Visibility.PUBLISHED

    with django_capture_on_commit_callbacks(execute=True):
        act(comments, "moderate_hide", comment.pk, "Beleidigend")
        act(proposals, "transition_under_review", proposal.pk, "Wir prüfen das.")
    comment.refresh_from_db()
    proposal.refresh_from_db()
    assert comment.is_hidden and comment.moderation_reason == "Beleidigend"
    assert proposal.status == Proposal.Status.UNDER_REVIEW
    assert proposal.responses.get().text == "Wir prüfen das."
    assert set(AuditEntry.objects.values_list("action", flat=True)) == {
        "comment.hide",
        "proposal.transition",
    }
    assert len(mail.outbox) == 2  # the author hears of both
    # GIS staff may look, not act: no actions offered.
    client.logout()
    staff(client, roles.GIS_STAFF)
    listing = client.get(proposals)
    assert "moderate_hide" not in listing.content.decode()


def project_form(project: Project, **extra: Any) -> dict[str, Any]:
    values: dict[str, Any] = {
        "title": project.title,
        "slug": project.slug,
        "summary": project.summary,
        "body": project.body,
        "office": project.office,
        "perimeter": widget_value(project.perimeter),
        "ideas_start_0": "",
        "ideas_start_1": "",
        "ideas_end_0": "",
        "ideas_end_1": "",
        "voting_start_0": "",
        "voting_start_1": "",
        "voting_end_0": "",
        "voting_end_1": "",
        "allow_citizen_pins": "on",
        "moderation": project.moderation,
        "voting_mode": project.voting_mode,
        "votes_per_person": project.votes_per_person or "",
        "max_votes_per_option": project.max_votes_per_option,
        "results_visibility": project.results_visibility,
        "is_published": "on",
        "categories-TOTAL_FORMS": "0",
        "categories-INITIAL_FORMS": "0",
        "categories-MIN_NUM_FORMS": "0",
        "categories-MAX_NUM_FORMS": "1000",
    }
    values.update(extra)
    return values


def test_project_edits_are_audited_and_voting_rules_stay_once_votes_exist(
    client: Any, staff: Any
) -> None:
    planner_user = staff(client, roles.PLANNER)
    project = ProjectFactory(ideas_start=None, ideas_end=None)
    url = reverse("admin:proposals_project_change", args=[project.pk])

    response = client.post(url, project_form(project, title="Neuer Name", voting_mode="single"))
    assert response.status_code == 302, response.content.decode()[-3000:]
    entry = AuditEntry.objects.get(action="project.update")
    assert entry.actor == planner_user
    assert entry.after == {"title": "Neuer Name", "voting_mode": "single"}
    project.refresh_from_db()

    VoteFactory(proposal__project=project)
    response = client.post(url, project_form(project, voting_mode="budget", votes_per_person="3"))
    assert response.status_code == 200
    errors = response.context["adminform"].form.errors
    assert set(errors) == {"voting_mode", "votes_per_person"}
    project.refresh_from_db()
    assert (project.voting_mode, project.votes_per_person) == ("single", None)
    # The service says the same to every caller.
    with pytest.raises(ValidationError) as info:
        services.project_update(
            actor=planner_user, project=project, changes={"max_votes_per_option": 2}
        )
    assert set(info.value.message_dict) == {"max_votes_per_option"}
    services.project_update(actor=planner_user, project=project, changes={"summary": "Neu"})
    assert AuditEntry.objects.filter(action="project.update").count() == 2


def test_site_edits_in_the_admin_are_audited(admin_client: Any) -> None:
    site = SiteFactory(name="Alter Name")
    response = admin_client.post(
        reverse("admin:locations_site_change", args=[site.pk]),
        {
            "name": "Neuer Name",
            "slug": site.slug,
            "kind": site.kind,
            "location": widget_value(site.location),
            "outline": "",
            "attributes": "{}",
        },
    )
    assert response.status_code == 302
    entry = AuditEntry.objects.get(action="site.update")
    assert entry.actor is not None and entry.actor.username == "chef"
    assert (entry.before, entry.after) == ({"name": "Alter Name"}, {"name": "Neuer Name"})


def test_a_project_set_up_in_the_admin_is_created_by_the_service_and_audited(
    admin_client: Any,
) -> None:
    template = ProjectFactory.build(slug="neu", title="Neues Projekt", office="Referat 61")
    data = project_form(template)
    data.update(
        {
            "categories-TOTAL_FORMS": "1",
            "categories-0-name": "Kultur",
            "categories-0-slug": "kultur",
            "categories-0-color": "#1f6f8b",
            "categories-0-position": "0",
        }
    )
    response = admin_client.post(reverse("admin:proposals_project_add"), data)
    assert response.status_code == 302, response.content.decode()[-3000:]
    project = Project.objects.get(slug="neu")
    assert project.office == "Referat 61"
    assert list(project.categories.values_list("name", flat=True)) == ["Kultur"]
    entry = AuditEntry.objects.get(action="project.create")
    assert entry.object_id == str(project.pk) and entry.after["title"] == "Neues Projekt"


def test_a_project_image_uploaded_in_the_admin_needs_a_description_and_is_audited(
    client: Any, staff: Any
) -> None:
    staff(client, roles.PLANNER)
    project = ProjectFactory(ideas_start=None, ideas_end=None)
    url = reverse("admin:proposals_project_change", args=[project.pk])

    def image() -> Any:
        return SimpleUploadedFile("platz.jpg", jpeg_with_gps(1800, 1000), "image/jpeg")

    missing = client.post(url, project_form(project, image_upload=image()))
    assert missing.status_code == 200
    assert set(missing.context["adminform"].form.errors) == {"image_alt"}
    not_a_picture = client.post(
        url,
        project_form(
            project,
            image_upload=SimpleUploadedFile("platz.jpg", b"kein Bild", "image/jpeg"),
            image_alt="Der Platz",
        ),
    )
    assert set(not_a_picture.context["adminform"].form.errors) == {"image_upload"}
    project.refresh_from_db()
    assert not project.image

    saved = client.post(url, project_form(project, image_upload=image(), image_alt="Der Platz"))

    assert saved.status_code == 302
    project.refresh_from_db()
    entry = AuditEntry.objects.get(action="project.update")
    assert entry.after == {
        "image": project.image.name,
        "image_thumbnail": project.image_thumbnail.name,
        "image_alt": "Der Platz",
    }
    response = client.get(project.image_url)
    assert_no_metadata(b"".join(response.streaming_content))


def test_photos_are_hidden_in_the_admin_through_the_service_with_a_reason(
    client: Any, staff: Any
) -> None:
    staff(client, roles.PLANNER)
    proposal = ProposalFactory()
    store_photos(proposal, proposal.author, [NewPhoto(clean_image(io.BytesIO(jpeg_with_gps())))])
    photo = proposal.photos.get()
    photos = reverse("admin:proposals_proposalphoto_changelist")
    assert client.get(photos).status_code == 200

    refused = client.post(
        photos, {"action": "photo_hide", "_selected_action": [photo.pk]}, follow=True
    )
    assert "warum das Foto ausgeblendet wird" in refused.content.decode()
    client.post(
        photos,
        {"action": "photo_hide", "_selected_action": [photo.pk], "text": "Kennzeichen lesbar"},
    )

    photo.refresh_from_db()
    assert photo.is_hidden and photo.moderation_reason == "Kennzeichen lesbar"
    assert AuditEntry.objects.get().action == "photo.hide"
