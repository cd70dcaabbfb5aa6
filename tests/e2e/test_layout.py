"""Map first, on a desk and on a phone: every public page and the workspace at 1280x900 and
375x667 — no page wider than the screen, the project map's top on the first screen with its
legend, axe-core without violations, nothing asked of other hosts (the `visit` fixture)."""

from __future__ import annotations

import io
import json
from datetime import timedelta
from typing import Any

from django.contrib.gis.geos import Point
from django.utils import timezone

from infra.images import clean_image
from proposals.models import Project, VotingMode
from proposals.photos import NewPhoto, store_photos
from proposals.services import project_update, tally_record, vote_cast
from tests.e2e.conftest import SHOTS
from tests.factories import (
    INSIDE,
    AreaFactory,
    CategoryFactory,
    CommentFactory,
    ProjectFactory,
    ProposalFactory,
    SiteFactory,
    UserFactory,
    planner,
)
from tests.images import jpeg_with_gps

SIZES = {"desktop": (1280, 900), "phone": (375, 667)}
LONG = "Ausprobierbox für Lastenräder und Paketstation an der Fackelstraße/Ecke Marktstraße"


def _projects() -> dict[str, Project]:
    # A district with residents: the analysis page shades it and shows its legend.
    AreaFactory(name="Innenstadt", slug="innenstadt", population=14000)
    ideas = ProjectFactory(title="Stadt.Raum.Wir.", slug="stadt-raum-wir")
    culture = CategoryFactory(project=ideas, name="Kultur", color="#7a3e9d")
    SiteFactory(name="Stiftsplatz", slug="stiftsplatz", location=Point(7.7689, 49.4447, srid=4326))
    for i in range(12):
        ProposalFactory(
            project=ideas,
            title=f"Idee {i}",
            category=culture if i % 2 else None,
            location=Point(INSIDE.x + 0.0004 * (i % 4), INSIDE.y - 0.0003 * (i // 4), srid=4326),
        )
    ProposalFactory(project=ideas, title="Open-Air-Kino", location=Point(7.75, 49.44, srid=4326))
    closed = ProjectFactory(
        voting=True,
        voting_mode=VotingMode.SINGLE,
        title="Lokale Logistik",
        slug="lokale-logistik",
        results_visibility=Project.ResultsVisibility.LIVE,
    )
    options = [
        ProposalFactory(project=closed, title=title, location=Point(x, y, srid=4326))
        for title, x, y in [
            (LONG, 7.7702, 49.4437),
            ("Pfaff-Areal", 7.7578, 49.4405),
            ("Kerststraße", 7.7665, 49.4431),
        ]
    ]
    for option, n in zip(options, (3, 1, 0), strict=True):
        for _ in range(n):
            vote_cast(user=UserFactory(), proposal=option)
    tally_record(
        actor=planner(),
        project=closed,
        event_name="Lautern blüht auf",
        event_date=timezone.localdate(),
        ballots=4,
        counted_by="Team",
        counts={options[1].pk: 2, options[2].pk: 2},
    )
    Project.objects.filter(pk=closed.pk).update(
        voting_start=timezone.now() - timedelta(days=5),
        voting_end=timezone.now() - timedelta(minutes=1),
    )
    CommentFactory(proposal=options[0], body="Gute Lage.")
    # Pictures: the project image must not push the map down; a photo shows on the proposal.
    project_update(
        actor=planner(username="bildredaktion"),
        project=ideas,
        changes={"image_alt": "Der Stiftsplatz an einem Sommerabend"},
        image=clean_image(io.BytesIO(jpeg_with_gps(1600, 900))),
    )
    store_photos(
        options[0],
        options[0].author,
        [NewPhoto(image=clean_image(io.BytesIO(jpeg_with_gps())), alt_text="Die Ecke am Brunnen")],
    )
    return {"ideas": ideas, "closed": closed}


def test_every_page_fits_desk_and_phone_map_first(visit: Any) -> None:
    projects = _projects()
    ideas, closed = projects["ideas"], projects["closed"]
    option = closed.proposals.get(title=LONG)
    citizen = UserFactory(username="layout")
    staff = planner(username="planerin")
    pages: list[tuple[str, str, Any]] = [
        ("home", "/", None),
        ("project", ideas.get_absolute_url(), None),
        ("project-signed-in", ideas.get_absolute_url(), citizen),
        ("project-results", closed.get_absolute_url(), None),
        ("results-page", closed.get_absolute_url() + "ergebnisse/", None),
        ("proposal", option.get_absolute_url(), citizen),
        ("pin-form-page", ideas.get_absolute_url() + "vorschlaege/neu/", citizen),
        ("login", "/konto/login/", None),
        ("signup", "/konto/signup/", None),
        ("password-reset", "/konto/password/reset/", None),
        ("profile", "/konto/profil/", citizen),
        ("my-participation", "/konto/beteiligung/", citizen),
        ("workspace", "/planung/", staff),
        ("workspace-review", f"/planung/vorschlaege/{option.pk}/", staff),
        ("workspace-moderation", "/planung/moderation/", staff),
        ("workspace-analysis", "/planung/analyse/", staff),
        ("workspace-ballots", "/planung/stimmzettel/", staff),
        ("workspace-tallies", f"/planung/projekte/{closed.slug}/stimmzettel/", staff),
        ("workspace-notifications", "/benachrichtigungen/", staff),
    ]
    SHOTS.mkdir(parents=True, exist_ok=True)
    problems: dict[str, Any] = {}
    for size, (width, height) in SIZES.items():
        anonymous = visit(width=width, height=height)
        signed: dict[int, Any] = {}
        for name, path, user in pages:
            v = anonymous
            if user is not None:
                if user.pk not in signed:
                    signed[user.pk] = visit(width=width, height=height)
                    signed[user.pk].sign_in(user)
                v = signed[user.pk]
            page = v.page
            response = page.goto(v.url(path))
            assert response is not None and response.status == 200, (name, size)
            key = f"{name}@{size}"
            if page.locator(".mmk-map--project").count():
                page.wait_for_selector(".mmk-map[data-pins-loaded]")
                box = page.locator(".mmk-map--project").bounding_box()
                assert box is not None
                if not 0 <= box["y"] < height - 150:
                    problems[key + " map top"] = box["y"]
                legend = page.locator(".map-legend").bounding_box()
                # On a desk the legend is on the first screen; on a phone right under the map.
                if legend is None or (size == "desktop" and legend["y"] > height - 40):
                    problems[key + " legend"] = legend
                page.wait_for_timeout(400)  # the map's zoom animation, for the screenshot
            wide = page.evaluate("document.documentElement.scrollWidth")
            if wide > width:
                problems[key + " width"] = wide
            page.screenshot(path=str(SHOTS / f"layout-{name}-{size}.png"), full_page=False)
            violations = v.axe()
            if violations:
                problems[key + " axe"] = violations
    assert problems == {}, json.dumps(problems, indent=2, ensure_ascii=False)


def test_list_and_map_point_at_each_other_and_phones_switch(visit: Any) -> None:
    ideas = _projects()["ideas"]
    kino = ideas.proposals.get(title="Open-Air-Kino")

    desk = visit()
    desk.page.goto(desk.url(ideas.get_absolute_url()))
    desk.page.wait_for_selector(".mmk-map[data-pins-loaded]")
    # Both at once on a desk: the list stands beside the map, the switch is not shown.
    map_box = desk.page.locator(".mmk-map--project").bounding_box()
    list_box = desk.page.locator(".project-stage__list").bounding_box()
    assert map_box is not None and list_box is not None
    assert list_box["x"] >= map_box["x"] + map_box["width"] - 1
    assert list_box["y"] < map_box["y"] + 100
    assert not desk.page.locator(".stage-switch").is_visible()
    # Hovering an entry lights its pin; opening the pin selects the entry.
    item = desk.page.locator(f"#vorschlag-{kino.pk}")
    item.hover()
    assert desk.page.locator(".pin-icon.is-highlighted").count() == 1
    desk.page.mouse.move(5, 5)
    assert desk.page.locator(".pin-icon.is-highlighted").count() == 0
    desk.page.locator('.leaflet-marker-icon[title="Open-Air-Kino"]').click()
    desk.page.wait_for_selector(f"#vorschlag-{kino.pk}.is-selected")
    # Clusters are drawn in the site's colours, not markercluster's green and yellow.
    cluster = desk.page.locator(".pin-cluster").first
    assert cluster.is_visible()
    colour = cluster.locator(".pin-cluster__count").evaluate(
        "e => getComputedStyle(e).backgroundColor"
    )
    assert colour in {"rgb(20, 80, 106)", "rgb(15, 61, 82)", "rgb(27, 36, 48)"}, colour

    phone = visit(width=375, height=667)
    page = phone.page
    page.goto(phone.url(ideas.get_absolute_url()))
    page.wait_for_selector(".mmk-map[data-pins-loaded]")
    assert page.locator(".mmk-map--project").is_visible()
    assert not page.locator(".proposal-list").is_visible()
    page.get_by_role("button", name="Liste (13)").click()
    assert page.locator(".proposal-list").is_visible()
    assert not page.locator(".mmk-map--project").is_visible()
    page.screenshot(path=str(SHOTS / "layout-project-list-phone.png"))
    # "Auf der Karte zeigen" goes back to the map with the pin's popup open.
    item = page.locator(f"#vorschlag-{kino.pk}")
    item.get_by_role("button", name="Auf der Karte zeigen").click()
    page.wait_for_selector(".leaflet-popup .pin-popup")
    assert page.locator(".mmk-map--project").is_visible()


def test_placing_a_pin_on_a_phone_keeps_map_and_pin_in_view(visit: Any) -> None:
    ideas = _projects()["ideas"]
    v = visit(width=375, height=667)
    v.sign_in(UserFactory(username="handy"))
    page = v.page
    page.goto(v.url(ideas.get_absolute_url()))
    page.wait_for_selector(".mmk-map[data-pins-loaded]")
    v.click_map_at(7.745, 49.446)
    pin = page.locator('.leaflet-marker-icon[title="Ihr neuer Vorschlag"]')
    pin.wait_for()
    box = pin.bounding_box()
    assert box is not None and 0 <= box["y"] <= 667 - box["height"], box
    assert page.evaluate("document.activeElement.id") != "id_title"
    first = float(page.input_value("#id_lon"))
    assert abs(first - 7.745) < 1e-3
    page.screenshot(path=str(SHOTS / "layout-pin-placed-phone.png"))

    # The pin can be dragged; the fields follow.
    page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    page.mouse.down()
    page.mouse.move(box["x"] + box["width"] / 2 + 40, box["y"] + box["height"] / 2, steps=8)
    page.mouse.up()
    moved = float(page.input_value("#id_lon"))
    assert moved > first + 1e-4
    assert "Ort gewählt" in page.inner_text("#place-status")

    page.get_by_role("button", name="Weiter: Idee beschreiben").click()
    assert page.evaluate("document.activeElement.id") == "id_title"
    assert page.locator("#id_title").bounding_box()["y"] < 667


def test_workspace_filters_as_you_draw_with_german_tools(visit: Any) -> None:
    ideas = _projects()["ideas"]
    v = visit()
    v.sign_in(planner(username="zeichnerin"))
    page = v.page
    page.goto(v.url("/planung/"))
    page.wait_for_selector(".mmk-map[data-loaded]")
    rows = page.locator(".ws-table tbody tr")
    everything = rows.count()
    tool = page.locator(".leaflet-draw-draw-rectangle")
    assert tool.get_attribute("title") == "Rechteck zeichnen, um nach Gebiet zu filtern"
    # Map and table side by side on a desk.
    map_box = page.locator(".mmk-map--workspace").bounding_box()
    table_box = page.locator(".ws-split__table").bounding_box()
    assert map_box is not None and table_box is not None
    assert table_box["x"] >= map_box["x"] + map_box["width"] - 1
    assert page.evaluate("document.documentElement.scrollWidth") <= 1280

    # A rectangle around the Open-Air-Kino only: the page filters without pressing "Filtern".
    page.evaluate(f"{v.leaflet_map()}.setView([49.44, 7.75], 16, {{animate: false}})")
    tool.click()
    corners = page.evaluate(
        f"""() => {{
            const map = {v.leaflet_map()};
            const box = map.getContainer().getBoundingClientRect();
            const a = map.latLngToContainerPoint([49.4415, 7.7485]);
            const b = map.latLngToContainerPoint([49.4385, 7.7515]);
            return [box.left + a.x, box.top + a.y, box.left + b.x, box.top + b.y];
        }}"""
    )
    with page.expect_navigation():
        page.mouse.move(corners[0], corners[1])
        page.mouse.down()
        page.mouse.move(corners[2], corners[3], steps=10)
        page.mouse.up()
    page.wait_for_selector(".ws-table")
    assert "polygon=" in page.url
    titles = page.locator(".ws-table tbody th").all_inner_texts()
    assert titles == ["Open-Air-Kino"], titles
    assert everything > 1
    assert ideas.proposals.count() == 13


def test_admin_map_widget_shows_city_and_districts_without_tiles(visit: Any) -> None:
    from django.contrib.gis.geos import MultiPolygon, Polygon

    from geo.models import Area

    AreaFactory(
        name="Kaiserslautern",
        slug="kaiserslautern",
        kind=Area.Kind.CITY,
        geometry=MultiPolygon(Polygon.from_bbox((7.70, 49.40, 7.82, 49.48)), srid=4326),
    )
    AreaFactory(
        name="Altstadt",
        slug="altstadt",
        kind=Area.Kind.DISTRICT,
        geometry=MultiPolygon(Polygon.from_bbox((7.74, 49.43, 7.79, 49.45)), srid=4326),
    )
    v = visit()
    v.sign_in(UserFactory(username="root", is_staff=True, is_superuser=True))
    page = v.page
    page.goto(v.url("/admin/locations/site/add/"))
    page.wait_for_selector(".mmk-orientation canvas")
    page.wait_for_timeout(500)
    # Every tile request is aborted (the fixture): the outlines alone draw on the canvas.
    drawn = page.evaluate(
        """() => {
            const canvas = document.querySelector(".mmk-orientation canvas");
            const data = canvas.getContext("2d")
                .getImageData(0, 0, canvas.width, canvas.height).data;
            let painted = 0;
            for (let i = 3; i < data.length; i += 4) if (data[i] > 0) painted++;
            return painted;
        }"""
    )
    page.locator(".dj_map").first.screenshot(path=str(SHOTS / "admin-map-widget.png"))
    assert drawn > 1000, drawn


def test_popup_links_follow_the_page_language_not_the_browser(visit: Any) -> None:
    ideas = _projects()["ideas"]
    kino = ideas.proposals.get(title="Open-Air-Kino")
    v = visit(locale="en-US")
    page = v.page
    page.goto(v.url(ideas.get_absolute_url()))  # the German page (no /en/ prefix)
    page.wait_for_selector(".mmk-map[data-pins-loaded]")
    page.locator('.leaflet-marker-icon[title="Open-Air-Kino"]').click()
    link = page.locator(".pin-popup__title a")
    link.wait_for()
    assert link.get_attribute("href", timeout=5000).endswith(kino.get_absolute_url())
    assert "/en/" not in (link.get_attribute("href") or "")
    assert page.locator(".pin-popup__more").inner_text() == "Vorschlag öffnen"
