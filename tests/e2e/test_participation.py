"""Taking part in a browser: sign up, place a pin (mouse, keyboard), comment, vote, withdraw."""

from __future__ import annotations

import re
import time
from typing import Any

from django.contrib.gis.geos import Point
from django.core import mail

from proposals.models import Comment, Project, Proposal, Vote
from tests.e2e.conftest import SHOTS
from tests.factories import (
    CENTRE_BOX,
    INSIDE,
    OUTSIDE,
    AreaFactory,
    CategoryFactory,
    ProjectFactory,
    ProposalFactory,
    SiteFactory,
    UserFactory,
)

PASSWORD = "Ein langes Passwort 2024!"


def ideas_project() -> Project:
    project = ProjectFactory(
        title="Stadt.Raum.Wir.", slug="stadt-raum-wir", summary="Wofür soll der Platz da sein?"
    )
    CategoryFactory(project=project, name="Kultur")
    SiteFactory(name="Stiftsplatz", slug="stiftsplatz", location=Point(7.7689, 49.4447, srid=4326))
    AreaFactory(name="Innenstadt", slug="innenstadt")
    return project


def wait_for_mail(timeout: float = 10) -> str:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if mail.outbox:
            return str(mail.outbox[-1].body)
        time.sleep(0.1)
    raise AssertionError("no e-mail was sent")


def shot(page: Any, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def test_register_confirm_sign_in_pin_comment_vote_withdraw(visit: Any) -> None:
    project = ideas_project()
    ballot = ProjectFactory(voting=True, slug="abstimmung", title="Lokale Logistik")
    option = ProposalFactory(project=ballot, title="Ausprobierbox am Stiftsplatz")
    v = visit()
    page = v.page

    # Register, and confirm the address with the link from the e-mail.
    page.goto(v.url("/konto/signup/"))
    page.fill("input[name=email]", "kim@example.org")
    page.fill("input[name=username]", "kim")
    page.fill("input[name=display_name]", "Kim aus der Innenstadt")
    page.fill("input[name=password1]", PASSWORD)
    page.fill("input[name=password2]", PASSWORD)
    page.locator("main form button[type=submit]").click()
    page.wait_for_load_state()
    link = re.search(r"https?://[^/\s]+(/konto/confirm-email/\S+)", wait_for_mail())
    assert link, "the e-mail carries a confirmation link"
    # The link names the site's public https address (a setting); its path is what counts here.
    page.goto(v.url(link.group(1)))
    page.locator("main form button[type=submit]").click()
    page.wait_for_load_state()

    # Sign in.
    page.goto(v.url("/konto/login/"))
    if page.locator("input[name=login]").count():
        page.fill("input[name=login]", "kim")
        page.fill("input[name=password]", PASSWORD)
        page.locator("main form button[type=submit]").click()
        page.wait_for_load_state()

    # Place a pin: click the map inside the area; the form gets the place, the map stays in
    # view, and the map's "continue" button leads on to the form's title.
    page.goto(v.url(project.get_absolute_url()))
    page.wait_for_selector(".mmk-map[data-pins-loaded]")
    v.click_map_at(INSIDE.x, INSIDE.y)
    assert page.evaluate("document.activeElement.id") != "id_title"
    page.get_by_role("button", name="Weiter: Idee beschreiben").click()
    assert page.evaluate("document.activeElement.id") == "id_title"
    lon = float(page.input_value("#id_lon"))
    lat = float(page.input_value("#id_lat"))
    assert abs(lon - INSIDE.x) < 1e-3 and abs(lat - INSIDE.y) < 1e-3
    assert "Ort gewählt" in page.inner_text("#place-status")
    page.keyboard.type("Sitzbänke im Schatten")
    page.fill("#id_description", "Unter den Bäumen am Rand.")
    page.select_option("#id_category", label="Kultur")
    shot(page, "1-pin-form-filled")
    page.get_by_role("button", name="Vorschlag einreichen").click()
    page.wait_for_load_state()
    assert "Danke! Ihr Vorschlag ist auf der Karte." in page.inner_text("main")
    proposal = Proposal.objects.get(title="Sitzbänke im Schatten")
    assert proposal.author is not None and proposal.author.username == "kim"
    assert abs(proposal.location.x - lon) < 1e-6

    # Comment on it (one's own pin, already fine), then reply to the comment.
    page.fill("#id_body", "Bitte auch an Schatten für Kinder denken.")
    page.get_by_role("button", name="Kommentar veröffentlichen").click()
    page.wait_for_load_state()
    assert "Ihr Kommentar wurde veröffentlicht." in page.inner_text("main")
    assert "Kim aus der Innenstadt" in page.inner_text(".comment-list")
    page.get_by_text("Antworten", exact=True).click()
    page.locator("textarea[id^=reply-]").fill("Gute Ergänzung!")
    page.get_by_role("button", name="Antwort veröffentlichen").click()
    page.wait_for_load_state()
    assert Comment.objects.filter(proposal=proposal, parent__isnull=False).count() == 1
    shot(page, "1-proposal-with-comments")

    # Vote in the project that is voting now, and withdraw the vote.
    page.goto(v.url(option.get_absolute_url()))
    page.get_by_role("button", name="Vorschlag unterstützen").click()
    page.wait_for_load_state()
    assert "Sie unterstützen diesen Vorschlag." in page.inner_text("#abstimmen")
    assert Vote.objects.filter(proposal=option, user__username="kim").count() == 1
    shot(page, "1-voted")
    page.get_by_role("button", name="Unterstützung zurückziehen").click()
    page.wait_for_load_state()
    assert "Ihre Stimme wurde zurückgezogen." in page.inner_text("main")
    assert not Vote.objects.filter(proposal=option).exists()
    assert v.tile_requests > 0


def test_a_pin_placed_with_the_keyboard_only(visit: Any) -> None:
    project = ideas_project()
    citizen = UserFactory(username="tab")
    v = visit()
    v.sign_in(citizen)
    page = v.page
    page.goto(v.url(project.get_absolute_url()))

    def tab_to(element_id: str, limit: int = 250) -> None:
        for _ in range(limit):
            page.keyboard.press("Tab")
            if page.evaluate("document.activeElement.id") == element_id:
                return
        raise AssertionError(f"#{element_id} cannot be reached with Tab")

    # First an empty form: the error summary takes the focus.
    tab_to("id_title")
    tab_to("id_category")
    tab_to("id_photo")  # the optional photo and its description come last
    tab_to("id_photo_alt")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent.trim()") == "Vorschlag einreichen"
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.hasAttribute('data-error-summary')")
    assert "Wählen Sie einen Ort" in page.inner_text(".error-summary")
    assert not Proposal.objects.exists()

    # Then a place from the list (typing selects it), a title, and Enter.
    tab_to("id_place")
    page.keyboard.type("Stiftsplatz")
    assert page.input_value("#id_place") == "site:stiftsplatz"
    tab_to("id_title")
    page.keyboard.type("Trinkbrunnen")
    with page.expect_navigation():
        page.keyboard.press("Enter")  # Enter in a text field submits the form
    assert "Danke! Ihr Vorschlag ist auf der Karte." in page.inner_text("main")
    proposal = Proposal.objects.get(title="Trinkbrunnen")
    assert proposal.location.equals_exact(Point(7.7689, 49.4447, srid=4326), 1e-9)

    # And by coordinates typed as numbers.
    page.goto(v.url(project.get_absolute_url()))
    tab_to("id_lon")
    page.keyboard.type("7.76")
    page.keyboard.press("Tab")
    page.keyboard.type("49.44")
    tab_to("id_title")
    page.keyboard.type("Fahrradständer")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    typed = Proposal.objects.get(title="Fahrradständer")
    assert typed.location.equals_exact(Point(7.76, 49.44, srid=4326), 1e-9)


def test_a_click_outside_the_area_is_explained_and_nothing_stored(visit: Any) -> None:
    project = ideas_project()
    v = visit()
    v.sign_in(UserFactory(username="aussen"))
    page = v.page
    page.goto(v.url(project.get_absolute_url()))
    page.wait_for_selector(".mmk-map[data-pins-loaded]")

    # A point just beside the area that the map shows (it is wider than the area).
    xmin, ymin, _xmax, ymax = CENTRE_BOX
    v.click_map_at(xmin - 0.003, (ymin + ymax) / 2)
    popup = page.wait_for_selector(".leaflet-popup-content")
    assert "außerhalb des Projektgebiets" in popup.inner_text()
    assert "außerhalb des Projektgebiets" in page.inner_text("#place-status")
    assert page.input_value("#id_lon") == "" and page.input_value("#id_lat") == ""
    assert page.evaluate("document.activeElement.id") != "id_title"
    shot(page, "3-click-outside")

    # Coordinates typed outside the area: the server refuses them and says why.
    page.fill("#id_lon", str(OUTSIDE.x))
    page.fill("#id_lat", str(OUTSIDE.y))
    page.fill("#id_title", "Zu weit draußen")
    page.get_by_role("button", name="Vorschlag einreichen").click()
    page.wait_for_load_state()
    summary = page.inner_text(".error-summary")
    assert "Der Ort liegt außerhalb des Projektgebiets" in summary
    assert page.evaluate("document.activeElement.hasAttribute('data-error-summary')")
    described = page.get_attribute("#id_place", "aria-describedby") or ""
    assert "id_place_error" in described
    assert not Proposal.objects.exists()


def test_a_second_account_cannot_edit_the_first_ones_pin(visit: Any) -> None:
    project = ideas_project()
    first = UserFactory(username="erste")
    proposal = ProposalFactory(project=project, author=first, title="Meine Bank")
    owner = visit()
    owner.sign_in(first)
    owner.page.goto(owner.url(proposal.get_absolute_url()))
    assert owner.page.get_by_role("link", name="Bearbeiten Meine Bank").count() == 1

    other = visit()
    other.sign_in(UserFactory(username="zweite"))
    page = other.page
    page.goto(other.url(proposal.get_absolute_url()))
    assert page.get_by_role("link", name=re.compile("Bearbeiten")).count() == 0
    assert page.get_by_role("link", name=re.compile("Löschen")).count() == 0
    for action in ("bearbeiten", "loeschen"):
        response = page.goto(other.url(f"{proposal.get_absolute_url()}{action}/"))
        assert response is not None and response.status == 403
        assert "Nur die Autorin oder der Autor" in page.inner_text("main")
    proposal.refresh_from_db()
    assert proposal.title == "Meine Bank"


def test_phone_sized_screen_places_a_pin_without_sideways_scrolling(visit: Any) -> None:
    project = ideas_project()
    v = visit(width=375, height=667, is_mobile=True, has_touch=True)
    v.sign_in(UserFactory(username="handy"))
    page = v.page
    page.goto(v.url(project.get_absolute_url()))
    page.wait_for_selector(".mmk-map[data-pins-loaded]")
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    page.locator(".mmk-map--project").scroll_into_view_if_needed()
    v.click_map_at(INSIDE.x, INSIDE.y)
    page.get_by_role("button", name="Weiter: Idee beschreiben").tap()
    assert page.evaluate("document.activeElement.id") == "id_title"
    page.keyboard.type("Bank am Brunnen")
    shot(page, "phone-pin-form")
    page.get_by_role("button", name="Vorschlag einreichen").click()
    page.wait_for_load_state()
    assert "Danke!" in page.inner_text("main")
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    shot(page, "phone-proposal")
    assert Proposal.objects.filter(title="Bank am Brunnen").exists()


def test_the_english_switch(visit: Any) -> None:
    project = ideas_project()
    v = visit()
    v.sign_in(UserFactory(username="english"))
    page = v.page
    page.goto(v.url(project.get_absolute_url()))
    assert page.get_attribute("html", "lang") == "de"
    assert page.get_attribute(".leaflet-control-zoom-in", "aria-label") == "Hineinzoomen"
    with page.expect_navigation():
        page.locator(".language-switch button[value=en]").click()
    assert page.get_attribute(".leaflet-control-zoom-in", "aria-label") == "Zoom in"
    assert page.url.startswith(v.url("/en/projekte/"))
    assert page.get_attribute("html", "lang") == "en"
    assert page.get_by_role("heading", name="Put your idea on the map").count() == 1
    page.fill("#id_title", "Shade trees")
    page.select_option("#id_place", "site:stiftsplatz")
    page.get_by_role("button", name="Submit proposal").click()
    page.wait_for_load_state()
    assert "Thank you! Your proposal is on the map." in page.inner_text("main")
    assert page.url.startswith(v.url("/en/projekte/"))
    with page.expect_navigation():
        page.locator(".language-switch button[value=de]").click()
    assert page.get_attribute("html", "lang") == "de"
    assert "/en/" not in page.url
