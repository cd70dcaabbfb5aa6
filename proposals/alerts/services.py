"""Write use cases of alerts: follow, area subscriptions, settings, announcing events, progress
updates and the daily digest. Proposals' services call the announce functions explicitly."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.contrib.gis.geos import GEOSGeometry, MultiPolygon
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from audit.services import log_action
from geo.crs import METRIC_SRID
from geo.models import Area
from geo.validation import as_storage_multipolygon
from infra.images import CleanImage
from locations.models import Site
from proposals import rules
from proposals.alerts import mail
from proposals.alerts.matching import match_and_record
from proposals.alerts.models import AlertSettings, Frequency, Notice, ProgressUpdate, Subscription
from proposals.errors import refusal
from proposals.models import Category, Project, Proposal, ProposalResponse
from proposals.photos import PROGRESS_IMAGE_FOLDER, discard_files, save_image_files

Kind = Subscription.Kind
# Drawn areas larger than this are refused: an alert for half the state is not what anyone means.
MAX_DRAWN_AREA_KM2 = 200
# Sent notices are kept this long (the person's export shows them), then the digest run drops them.
NOTICES_KEPT = timedelta(days=90)


def _signed_in(user: Any) -> None:
    if not user.is_authenticated or not user.is_active:
        raise PermissionDenied(_("Please sign in."))


@transaction.atomic
def alert_settings_update(*, user: Any, frequency: str) -> AlertSettings:
    _signed_in(user)
    setting = AlertSettings.objects.filter(user=user).first() or AlertSettings(user=user)
    setting.frequency = frequency
    setting.full_clean()
    setting.save()
    return setting


@transaction.atomic
def unsubscribe_all(*, user: Any) -> AlertSettings:
    """The e-mail's one-click link: no more alert e-mails (what is followed stays, for later)."""
    setting, _created = AlertSettings.objects.update_or_create(
        user=user, defaults={"frequency": Frequency.OFF}
    )
    return setting


@transaction.atomic
def proposal_follow(*, user: Any, proposal: Proposal, follow: bool = True) -> bool:
    """Follow (or stop following) a proposal; True when the person follows it afterwards."""
    rules.may_follow_proposal.enforce(user, proposal)
    if not follow:
        Subscription.objects.filter(user=user, kind=Kind.PROPOSAL, proposal=proposal).delete()
        return False
    Subscription.objects.get_or_create(user=user, kind=Kind.PROPOSAL, proposal=proposal)
    return True


@transaction.atomic
def project_follow(*, user: Any, project: Project, follow: bool = True) -> bool:
    rules.may_follow_project.enforce(user, project)
    if not follow:
        Subscription.objects.filter(user=user, kind=Kind.PROJECT, project=project).delete()
        return False
    Subscription.objects.get_or_create(user=user, kind=Kind.PROJECT, project=project)
    return True


def author_follow(proposal: Proposal) -> None:
    """Authors follow their own proposals automatically (called by proposal_create)."""
    if proposal.author_id is not None:
        Subscription.objects.get_or_create(
            user_id=proposal.author_id, kind=Kind.PROPOSAL, proposal=proposal
        )


@transaction.atomic
def area_subscribe(
    *,
    user: Any,
    kind: str,
    district: Area | None = None,
    site: Site | None = None,
    radius_m: int | None = None,
    drawn: GEOSGeometry | None = None,
    projects: Iterable[Project] = (),
    categories: Iterable[Category] = (),
) -> Subscription:
    """Alerts for an area: a district, a site's surroundings (radius), or a drawn polygon."""
    _signed_in(user)
    subscription = Subscription(user=user, kind=kind)
    if kind == Kind.DISTRICT:
        if district is None or district.kind != Area.Kind.DISTRICT:
            raise refusal("district", _("Choose a district."), "required")
        subscription.district = district
    elif kind == Kind.RADIUS:
        if site is None:
            raise refusal("site", _("Choose a site."), "required")
        if radius_m is None:
            raise refusal("radius_m", _("Give a radius in metres."), "required")
        subscription.site = site
        subscription.radius_m = radius_m
        # The buffer is drawn in the metric CRS, so the radius is metres on the ground.
        subscription.region = MultiPolygon(
            site.location.transform(METRIC_SRID, clone=True).buffer(radius_m, quadsegs=16),
            srid=METRIC_SRID,
        )
    elif kind == Kind.DRAWN:
        polygon = as_storage_multipolygon(drawn, field="drawn").transform(METRIC_SRID, clone=True)
        assert isinstance(polygon, MultiPolygon)  # noqa: S101 - a transform keeps the type
        if polygon.area > MAX_DRAWN_AREA_KM2 * 1_000_000:
            raise refusal(
                "drawn",
                _("The area is too large (at most %(km2)s km²); draw a smaller one.")
                % {"km2": MAX_DRAWN_AREA_KM2},
                "too_large",
            )
        subscription.region = polygon
    else:
        raise refusal(
            "kind", _("Choose a district, a site's surroundings or draw an area."), "invalid"
        )
    subscription.full_clean()
    subscription.save()
    projects = [p for p in projects if rules.may_view_project(user, p)]
    subscription.in_projects.set(projects)
    chosen = list(categories)
    if projects and any(c.project_id not in {p.pk for p in projects} for c in chosen):
        raise refusal("categories", _("Choose categories of the chosen projects only."), "invalid")
    subscription.in_categories.set(chosen)
    return subscription


@transaction.atomic
def subscription_delete(*, user: Any, subscription: Subscription) -> None:
    if subscription.user_id != user.pk:
        raise PermissionDenied(_("This is not your subscription."))
    subscription.delete()


# ---- Events: each matched in one statement (matching.py), the e-mails queued after commit ----


def _public(proposal: Proposal) -> bool:
    """Alerts tell only what everyone may see: the one visibility rule, asked for nobody."""
    return rules.proposal_sight(AnonymousUser(), proposal) == rules.Sight.LISTED


def _announce(
    event: str,
    proposal: Proposal,
    *,
    response: ProposalResponse | None = None,
    progress: ProgressUpdate | None = None,
    exclude_user_id: int | None = None,
    to_voters: bool = False,
) -> int:
    if not _public(proposal):
        return 0
    recipients = match_and_record(
        event=event,
        proposal_id=proposal.pk,
        response_id=response.pk if response else None,
        progress_id=progress.pk if progress else None,
        exclude_user_id=exclude_user_id,
        to_voters=to_voters,
    )
    now = [(r.user_id, r.email) for r in recipients if r.immediate]
    if now:
        # After commit: a rolled-back change must not be announced.
        transaction.on_commit(
            lambda: mail.send(mail.event_messages(now, event, proposal, response, progress))
        )
    return len(recipients)


def proposal_published(proposal: Proposal) -> int:
    """A proposal became public (placed in a post-moderated project, or approved): areas and
    projects hear of it; its author does not need to."""
    return _announce(Notice.Event.PUBLISHED, proposal, exclude_user_id=proposal.author_id)


def proposal_answered(response: ProposalResponse) -> int:
    """The city answered (every status change comes with a response): followers, supporters
    and voters hear of it. The author is told by proposals.notifications already."""
    proposal = response.proposal
    return _announce(
        Notice.Event.RESPONSE,
        proposal,
        response=response,
        exclude_user_id=proposal.author_id,
        to_voters=True,
    )


@transaction.atomic
def progress_add(
    *,
    actor: Any,
    proposal: Proposal,
    text: str,
    stage: str = "",
    percent: int | None = None,
    image: CleanImage | None = None,
    image_alt: str = "",
) -> ProgressUpdate:
    """Staff report a dated step of implementing an accepted proposal, optionally with a photo
    (from infra.images.clean_image, described); followers hear of it."""
    rules.may_report_progress.enforce(actor, proposal)
    image_alt = image_alt.strip()
    if image is not None and not image_alt:
        raise refusal(
            "image_alt", _("Describe the picture: people who cannot see it read this."), "required"
        )
    update = ProgressUpdate(
        proposal=proposal,
        text=text.strip(),
        stage=stage,
        percent=percent,
        author=actor,
        image_alt=image_alt if image is not None else "",
    )
    update.full_clean()
    if image is not None:
        update.image, update.image_thumbnail = save_image_files(PROGRESS_IMAGE_FOLDER, image)
    try:
        update.save()
    except Exception:
        discard_files([update.image.name, update.image_thumbnail.name])
        raise
    log_action(
        actor=actor,
        action="proposal.progress",
        obj=proposal,
        project=proposal.project,
        after={
            "text": update.text,
            "stage": stage,
            "percent": percent,
            **({"image": update.image.name, "image_alt": image_alt} if image else {}),
        },
    )
    _announce(Notice.Event.PROGRESS, proposal, progress=update, to_voters=True)
    return update


# ---- The daily digest (manage.py send_alert_digests, run by cron or the worker) ------------


def digest_send(*, now: datetime | None = None) -> int:
    """One e-mail per person with everything collected since their last digest; returns how
    many e-mails were queued. Notices of people who turned e-mails off meanwhile are dropped."""
    now = now or timezone.now()
    sent = 0
    with transaction.atomic():
        pending = (
            Notice.objects.select_for_update(skip_locked=True, of=("self",))
            .filter(sent_at__isnull=True, created_at__lte=now)
            .select_related("user", "proposal__project", "response", "progress")
            .order_by("user_id", "created_at", "pk")
        )
        by_user: dict[int, list[Notice]] = defaultdict(list)
        for notice in pending:
            by_user[notice.user_id].append(notice)
        off = set(
            AlertSettings.objects.filter(user_id__in=by_user, frequency=Frequency.OFF).values_list(
                "user_id", flat=True
            )
        )
        messages = []
        with translation.override(settings.LANGUAGE_CODE):
            for user_id, notices in by_user.items():
                user = notices[0].user
                visible = [n for n in notices if _public(n.proposal)]
                if user_id in off or not user.is_active or not user.email or not visible:
                    continue
                parts = [
                    mail.describe(n.event, n.proposal, n.response, n.progress) for n in visible
                ]
                subject = _("Mitmachkarte: %(count)s news about what you follow") % {
                    "count": len(visible)
                }
                messages.append(mail.build_message(user_id, user.email, subject, "\n".join(parts)))
        Notice.objects.filter(pk__in=[n.pk for ns in by_user.values() for n in ns]).update(
            sent_at=now
        )
        # What was sent long ago is no one's business any more (minimal personal data).
        Notice.objects.filter(sent_at__lt=now - NOTICES_KEPT).delete()
        if messages:
            transaction.on_commit(lambda: mail.send(messages))
            sent = len(messages)
    return sent
