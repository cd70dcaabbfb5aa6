"""Atom feeds per project, per area (district or bbox) and per proposal: new proposals, the
city's responses and implementation progress. Only what everyone may see (the visibility rule
asked for an anonymous viewer), whoever fetches the feed: feed readers share URLs."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.contrib.gis.geos import Polygon
from django.contrib.syndication.views import Feed
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBadRequest
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils.feedgenerator import Atom1Feed
from django.utils.translation import gettext as _

from geo.models import Area
from geo.validation import parse_bbox
from proposals.alerts import selectors
from proposals.models import Project, Proposal

ITEMS = 50


@dataclass(frozen=True)
class Entry:
    guid: str
    title: str
    text: str
    link: str
    date: datetime


def entries(proposals: QuerySet[Proposal], *, new_proposals: bool = True) -> list[Entry]:
    """The latest events of `proposals` (already restricted to public ones), newest first."""
    found: list[Entry] = []
    if new_proposals:
        for p in proposals.select_related("project").order_by("-created_at")[:ITEMS]:
            found.append(
                Entry(
                    guid=f"proposal-{p.pk}",
                    title=_("New proposal: %(title)s") % {"title": p.title},
                    text=p.description,
                    link=p.get_absolute_url(),
                    date=p.created_at,
                )
            )
    for r in selectors.responses_of(proposals).order_by("-created_at")[:ITEMS]:
        found.append(
            Entry(
                guid=f"response-{r.pk}",
                title=_("%(title)s: %(status)s")
                % {"title": r.proposal.title, "status": Proposal.Status(r.to_status).label},
                text=f"{r.office}: {r.text}",
                link=r.proposal.get_absolute_url(),
                date=r.created_at,
            )
        )
    for u in selectors.progress_in(proposals).order_by("-created_at")[:ITEMS]:
        found.append(
            Entry(
                guid=f"progress-{u.pk}",
                title=_("Progress: %(title)s") % {"title": u.proposal.title},
                text=u.text,
                link=u.proposal.get_absolute_url() + "#umsetzung",
                date=u.created_at,
            )
        )
    found.sort(key=lambda e: e.date, reverse=True)
    return found[:ITEMS]


class _EntryFeed(Feed):
    feed_type = Atom1Feed

    def item_title(self, item: Entry) -> str:
        return item.title

    def item_description(self, item: Entry) -> str:
        return item.text

    def item_link(self, item: Entry) -> str:
        return item.link

    def item_guid(self, item: Entry) -> str:
        return item.guid

    item_guid_is_permalink = False

    def item_pubdate(self, item: Entry) -> datetime:
        return item.date

    def item_updateddate(self, item: Entry) -> datetime:
        return item.date


class ProjectFeed(_EntryFeed):
    def get_object(self, request: HttpRequest, slug: str) -> Project:
        return get_object_or_404(Project, slug=slug, is_published=True)

    def title(self, obj: Project) -> str:
        return _("Mitmachkarte: %(title)s") % {"title": obj.title}

    def link(self, obj: Project) -> str:
        return obj.get_absolute_url()

    def subtitle(self, obj: Project) -> str:
        return _("New proposals, the city's responses and implementation progress.")

    def items(self, obj: Project) -> list[Entry]:
        return entries(selectors.public_proposals().filter(project=obj))


class ProposalFeed(_EntryFeed):
    def get_object(self, request: HttpRequest, pk: int) -> Proposal:
        proposal = selectors.public_proposals().select_related("project").filter(pk=pk).first()
        if proposal is None:
            raise Http404
        return proposal

    def title(self, obj: Proposal) -> str:
        return _("Mitmachkarte: %(title)s") % {"title": obj.title}

    def link(self, obj: Proposal) -> str:
        return obj.get_absolute_url()

    def subtitle(self, obj: Proposal) -> str:
        return _("The city's responses and implementation progress.")

    def items(self, obj: Proposal) -> list[Entry]:
        return entries(selectors.public_proposals().filter(pk=obj.pk), new_proposals=False)


class DistrictFeed(_EntryFeed):
    def get_object(self, request: HttpRequest, slug: str) -> Area:
        return get_object_or_404(Area, slug=slug, kind=Area.Kind.DISTRICT)

    def title(self, obj: Area) -> str:
        return _("Mitmachkarte: proposals in %(name)s") % {"name": obj.name}

    def link(self, obj: Area) -> str:
        return reverse("proposals:home")

    def items(self, obj: Area) -> list[Entry]:
        return entries(selectors.public_proposals().filter(location__intersects=obj.geometry))


class BboxFeed(_EntryFeed):
    """`?bbox=minlon,minlat,maxlon,maxlat` (EPSG:4326)."""

    def __call__(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        try:
            return super().__call__(request, *args, **kwargs)
        except ValidationError as error:
            return HttpResponseBadRequest(
                " ".join(error.messages), content_type="text/plain; charset=utf-8"
            )

    def get_object(self, request: HttpRequest) -> Polygon:
        raw = request.GET.get("bbox", "")
        if not raw:
            raise ValidationError(
                _("Give the area as bbox=minlon,minlat,maxlon,maxlat."), code="required"
            )
        return parse_bbox(raw)

    def title(self, obj: Polygon) -> str:
        return _("Mitmachkarte: proposals in the chosen area")

    def link(self, obj: Polygon) -> str:
        return reverse("proposals:home")

    def items(self, obj: Polygon) -> list[Entry]:
        return entries(selectors.public_proposals().filter(location__intersects=obj))
