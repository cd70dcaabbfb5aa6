"""A planner hides a citizen's photo from the review page in Chromium, at 1280x900 and 375x667:
the page stays within the viewport, a refused form names its field, 0 axe violations before
and after; the public then gets 404 for the photo."""

from __future__ import annotations

import io
from typing import Any

import pytest

from infra.images import clean_image
from proposals.models import Proposal, ProposalPhoto
from proposals.photos import NewPhoto, store_photos
from tests.e2e.test_participation import shot
from tests.factories import ProposalFactory, planner
from tests.images import jpeg_with_gps

REASON_LABEL = "Grund für das Ausblenden (die Autorin oder der Autor liest ihn)"


@pytest.mark.parametrize(("width", "height"), [(1280, 900), (375, 667)])
def test_a_planner_hides_a_photo_on_the_review_page(visit: Any, width: int, height: int) -> None:
    proposal = ProposalFactory(title="Schatten am Stiftsplatz")
    store_photos(
        proposal,
        proposal.author,
        [
            NewPhoto(clean_image(io.BytesIO(jpeg_with_gps(1600, 1200))), "Die alte Linde"),
            NewPhoto(clean_image(io.BytesIO(jpeg_with_gps(900, 1200)))),
        ],
    )
    linde, other = ProposalPhoto.objects.order_by("pk")
    v = visit(width=width, height=height)
    v.sign_in(planner(username="moderation"))
    page = v.page
    page.goto(v.url(f"/planung/vorschlaege/{proposal.pk}/"))
    page.wait_for_selector(".mmk-map--workspace[data-loaded]", timeout=15_000)
    for photo in (linde, other):
        image = page.locator(f"#photo-{photo.pk} img")
        image.scroll_into_view_if_needed()  # loaded lazily
        page.wait_for_function(
            "img => img.complete && img.naturalWidth > 0", arg=image.element_handle()
        )
    # The second photo has no description: its alt text names the proposal.
    assert page.get_by_role("img", name="Foto zum Vorschlag „Schatten am Stiftsplatz“").count()
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    assert v.axe() == []
    page.locator("#photos-heading").scroll_into_view_if_needed()
    page.screenshot(path=f"/tmp/mitmachkarte-e2e/workspace-photos-{width}-view.png")  # noqa: S108
    shot(page, f"workspace-photos-{width}")

    # No reason: refused at the field, and the page with the error is accessible too.
    item = page.locator(f"#photo-{other.pk}")
    item.get_by_role("button", name="Foto ausblenden").click()
    page.wait_for_load_state()
    error = page.locator(f"#reason-p{other.pk}_error")
    assert "Sagen Sie, warum das Foto ausgeblendet wird" in error.inner_text()
    assert v.axe() == []

    item = page.locator(f"#photo-{linde.pk}")
    item.get_by_label(REASON_LABEL).fill("Kennzeichen erkennbar")
    item.get_by_role("button", name="Foto ausblenden").click()
    page.wait_for_load_state()
    item = page.locator(f"#photo-{linde.pk}")
    assert "Ausgeblendet: Kennzeichen erkennbar" in item.inner_text()
    assert item.get_by_role("button", name="Foto wieder zeigen").count() == 1
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    assert v.axe() == []
    item.scroll_into_view_if_needed()
    page.screenshot(path=f"/tmp/mitmachkarte-e2e/workspace-photo-hidden-{width}-view.png")  # noqa: S108
    linde.refresh_from_db()
    other.refresh_from_db()
    assert (linde.is_hidden, other.is_hidden) == (True, False)
    public = v.context.browser.new_context()  # type: ignore[union-attr]
    try:
        assert public.request.get(v.url(linde.thumbnail_url)).status == 404
        assert public.request.get(v.url(other.thumbnail_url)).status == 200
    finally:
        public.close()


@pytest.mark.parametrize(("width", "height"), [(1280, 900), (375, 667)])
def test_the_moderation_queue_shows_pending_proposals_with_their_photos(
    visit: Any, width: int, height: int
) -> None:
    proposal = ProposalFactory(title="Trinkbrunnen", visibility=Proposal.Visibility.PENDING)
    store_photos(
        proposal,
        proposal.author,
        [NewPhoto(clean_image(io.BytesIO(jpeg_with_gps(1200, 900))), "Der alte Brunnen")],
    )
    photo = ProposalPhoto.objects.get()
    v = visit(width=width, height=height)
    v.sign_in(planner(username="moderation"))
    page = v.page
    page.goto(v.url("/planung/moderation/"))
    image = page.get_by_role("img", name="Der alte Brunnen")
    image.scroll_into_view_if_needed()
    page.wait_for_function(
        "img => img.complete && img.naturalWidth > 0", arg=image.element_handle()
    )
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    assert v.axe() == []
    shot(page, f"workspace-moderation-photos-{width}")
    # The thumbnail leads to the photo's form on the proposal's review page.
    image.click()
    page.wait_for_load_state()
    assert page.url.endswith(f"/planung/vorschlaege/{proposal.pk}/#photo-{photo.pk}")
    assert page.locator(f"#photo-{photo.pk}").get_by_role("button", name="Foto ausblenden").count()
