"""A photo in the browser: attached in the pin form (desktop, and on a phone after
"Weiter: Idee beschreiben"), shown on the proposal page without its GPS data, 0 axe violations."""

from __future__ import annotations

import io
from typing import Any

import pytest
from PIL import Image

from infra.images import clean_image
from proposals.models import ProposalPhoto
from proposals.services import project_update
from tests.e2e.conftest import SHOTS
from tests.e2e.test_participation import ideas_project, shot
from tests.factories import INSIDE, UserFactory, planner
from tests.images import assert_no_metadata, jpeg_with_gps


@pytest.fixture
def photo_file(tmp_path: Any) -> Any:
    path = tmp_path / "linde.jpg"
    path.write_bytes(jpeg_with_gps(2000, 1500))
    return path


def _check_proposal_page(page: Any, v: Any, width: int) -> ProposalPhoto:
    assert "Danke!" in page.inner_text("main")
    photo = ProposalPhoto.objects.get()
    image = page.get_by_role("img", name="Die alte Linde am Stiftsplatz")
    image.wait_for()
    image.scroll_into_view_if_needed()
    # The browser decoded the served thumbnail (not a broken image).
    assert (
        page.evaluate("img => img.complete && img.naturalWidth", image.element_handle())
        == photo.thumbnail_size[0]
    )
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    # What the browser fetched is what anyone gets: no metadata.
    response = v.context.request.get(v.url(photo.get_absolute_url()))
    assert response.status == 200
    assert_no_metadata(response.body())
    with Image.open(io.BytesIO(response.body())) as served:
        assert served.size == (1600, 1200)
    assert v.axe() == []
    return photo


def test_a_photo_attached_in_the_form_shows_on_the_proposal_page(
    visit: Any, photo_file: Any
) -> None:
    project = ideas_project()
    v = visit()
    v.sign_in(UserFactory(username="fotografin"))
    page = v.page
    page.goto(v.url(f"{project.get_absolute_url()}vorschlaege/neu/"))
    page.wait_for_selector(".mmk-map[data-pins-loaded]")
    v.click_map_at(INSIDE.x, INSIDE.y)
    page.get_by_label("Titel").fill("Schatten unter der Linde")
    page.get_by_label("Foto auswählen").set_input_files(str(photo_file))
    page.get_by_label("Was zeigt das Foto?").fill("Die alte Linde am Stiftsplatz")
    assert v.axe() == []
    shot(page, "photo-form-desktop")

    page.get_by_role("button", name="Vorschlag einreichen").click()
    page.wait_for_load_state()

    _check_proposal_page(page, v, 1280)
    shot(page, "photo-proposal-desktop")
    page.goto(v.url(project.get_absolute_url()))
    page.wait_for_selector(".mmk-map[data-pins-loaded]")
    assert page.locator(".proposal-item__photo").count() == 1
    shot(page, "photo-project-desktop")


def test_a_photo_from_a_phone_after_placing_the_pin(visit: Any, photo_file: Any) -> None:
    project = ideas_project()
    v = visit(width=375, height=667, is_mobile=True, has_touch=True)
    v.sign_in(UserFactory(username="handyfoto"))
    page = v.page
    page.goto(v.url(project.get_absolute_url()))
    page.wait_for_selector(".mmk-map[data-pins-loaded]")
    page.locator(".mmk-map--project").scroll_into_view_if_needed()
    v.click_map_at(INSIDE.x, INSIDE.y)
    page.get_by_role("button", name="Weiter: Idee beschreiben").tap()
    page.keyboard.type("Schatten unter der Linde")
    page.get_by_label("Foto auswählen").set_input_files(str(photo_file))
    page.get_by_label("Was zeigt das Foto?").fill("Die alte Linde am Stiftsplatz")
    page.get_by_label("Foto auswählen").scroll_into_view_if_needed()
    page.screenshot(path=str(SHOTS / "photo-form-phone.png"))
    page.get_by_role("button", name="Vorschlag einreichen").click()
    page.wait_for_load_state()

    _check_proposal_page(page, v, 375)
    shot(page, "photo-proposal-phone")


@pytest.mark.parametrize(("width", "height"), [(1280, 900), (375, 667)])
def test_the_project_image_shows_below_the_map_first_screen(
    visit: Any, width: int, height: int
) -> None:
    project = ideas_project()
    project_update(
        actor=planner(username="bildredaktion"),
        project=project,
        changes={"image_alt": "Der Stiftsplatz an einem Sommerabend"},
        image=clean_image(io.BytesIO(jpeg_with_gps(1600, 900))),
    )
    v = visit(width=width, height=height)
    page = v.page

    page.goto(v.url("/"))
    card = page.locator(".card__image")
    card.scroll_into_view_if_needed()  # loaded lazily
    page.wait_for_function("img => img.complete && img.naturalWidth > 0", arg=card.element_handle())
    shot(page, f"photo-home-{width}")
    page.goto(v.url(project.get_absolute_url()))
    page.wait_for_selector(".mmk-map[data-pins-loaded]")

    map_box = page.locator(".mmk-map--project").bounding_box()
    assert map_box is not None and 0 <= map_box["y"] < height - 150
    image = page.get_by_role("img", name="Der Stiftsplatz an einem Sommerabend")
    image.scroll_into_view_if_needed()
    page.wait_for_function(
        "img => img.complete && img.naturalWidth === 1600", arg=image.element_handle()
    )
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    assert v.axe() == []
    shot(page, f"photo-project-{width}")
