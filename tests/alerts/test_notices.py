"""Outcome notices to exactly the right people, the digest, the one-click unsubscribe, progress
updates, and the personal-data export and erasure."""

from __future__ import annotations

import io
import re
from datetime import timedelta

import pytest
from django.core import mail as outbox
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from accounts import personal_data
from proposals import review
from proposals.alerts import services
from proposals.alerts.mail import unsubscribe_token
from proposals.alerts.models import AlertSettings, Frequency, Notice, Subscription
from proposals.models import Proposal
from proposals.services import proposal_create
from tests.factories import (
    INSIDE,
    AreaFactory,
    ProjectFactory,
    ProposalFactory,
    UserFactory,
    VoteFactory,
    planner,
)

pytestmark = pytest.mark.django_db

LINK = re.compile(r"http://127\.0\.0\.1:8000(/\S+)")


def _answer(proposal: Proposal, to_status: str, actor) -> None:  # type: ignore[no-untyped-def]
    review.proposal_transition(
        actor=actor,
        proposal=proposal,
        to_status=to_status,
        response_text="Wir prüfen das.",
        office="Stadtplanung",
    )


def test_outcome_reaches_followers_and_voters_each_alone(django_capture_on_commit_callbacks):
    city = planner(username="city")
    proposal = ProposalFactory(author=UserFactory(username="author"))
    services.author_follow(proposal)
    follower = UserFactory(username="follower")
    voter = UserFactory(username="voter")
    UserFactory(username="bystander")  # follows nothing, voted for nothing
    services.proposal_follow(user=follower, proposal=proposal)
    VoteFactory(proposal=proposal, user=voter)
    VoteFactory(
        proposal=ProposalFactory(project=proposal.project), user=UserFactory(username="elsewhere")
    )

    with django_capture_on_commit_callbacks(execute=True):
        _answer(proposal, Proposal.Status.UNDER_REVIEW, city)

    by_person = {tuple(m.to): m for m in outbox.outbox}
    # The author hears through the review notice (proposals/notifications.py), once.
    assert sorted(by_person) == [
        ("author@example.org",),
        ("follower@example.org",),
        ("voter@example.org",),
    ]
    for address in ("follower@example.org", "voter@example.org"):
        message = by_person[(address,)]
        assert message.cc == [] and message.bcc == []
        assert "Wir prüfen das." in message.body
        # Nothing about the other recipients in it.
        for other in ("follower", "voter", "author", "bystander"):
            assert f"{other}@example.org" not in message.body
        assert message.extra_headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"


def test_published_pin_alerts_the_area_but_not_its_author(django_capture_on_commit_callbacks):
    project = ProjectFactory()
    district = AreaFactory()
    watcher = UserFactory(username="watcher")
    author = UserFactory(username="pinner")
    services.area_subscribe(user=watcher, kind="district", district=district)
    services.area_subscribe(user=author, kind="district", district=district)
    with django_capture_on_commit_callbacks(execute=True):
        proposal = proposal_create(
            author=author, project=project, title="Bank am Platz", location=INSIDE
        )
    assert [m.to for m in outbox.outbox] == [["watcher@example.org"]]
    assert proposal.get_absolute_url() in outbox.outbox[0].body
    # The author follows their own proposal from now on.
    assert Subscription.objects.filter(user=author, kind="proposal", proposal=proposal).exists()


def test_pre_moderated_pin_is_announced_when_approved(django_capture_on_commit_callbacks):
    project = ProjectFactory(moderation="pre")
    services.area_subscribe(
        user=UserFactory(username="watcher"), kind="district", district=AreaFactory()
    )
    with django_capture_on_commit_callbacks(execute=True):
        proposal = proposal_create(
            author=UserFactory(), project=project, title="Brunnen", location=INSIDE
        )
    assert Notice.objects.count() == 0
    assert outbox.outbox == []
    with django_capture_on_commit_callbacks(execute=True):
        review.proposal_moderate(actor=planner(), proposal=proposal, action="approve")
    assert ["watcher@example.org"] in [m.to for m in outbox.outbox]


def test_digest_collects_and_sends_once(django_capture_on_commit_callbacks):
    reader = UserFactory(username="reader")
    AlertSettings.objects.create(user=reader, frequency=Frequency.DAILY)
    project = ProjectFactory()
    services.project_follow(user=reader, project=project)
    first = ProposalFactory(project=project, title="Erste Idee")
    second = ProposalFactory(project=project, title="Zweite Idee")
    with django_capture_on_commit_callbacks(execute=True):
        services.proposal_published(first)
        services.proposal_published(second)
    assert outbox.outbox == []  # nothing immediately

    with django_capture_on_commit_callbacks(execute=True):
        call_command("send_alert_digests", stdout=io.StringIO())
    assert len(outbox.outbox) == 1
    digest = outbox.outbox[0]
    assert digest.to == ["reader@example.org"]
    assert "Erste Idee" in digest.body and "Zweite Idee" in digest.body
    assert reverse("alerts:unsubscribe", args=[unsubscribe_token(reader.pk)]) in digest.body
    assert Notice.objects.filter(sent_at__isnull=True).count() == 0

    with django_capture_on_commit_callbacks(execute=True):
        assert services.digest_send() == 0
    assert len(outbox.outbox) == 1

    # Sent notices go after NOTICES_KEPT.
    assert Notice.objects.count() == 2
    services.digest_send(now=timezone.now() + services.NOTICES_KEPT + timedelta(days=1))
    assert Notice.objects.count() == 0


def test_digest_leaves_out_what_became_hidden(django_capture_on_commit_callbacks):
    reader = UserFactory(username="reader")
    AlertSettings.objects.create(user=reader, frequency=Frequency.DAILY)
    project = ProjectFactory()
    services.project_follow(user=reader, project=project)
    proposal = ProposalFactory(project=project, title="Bald versteckt")
    services.proposal_published(proposal)
    Proposal.objects.filter(pk=proposal.pk).update(visibility=Proposal.Visibility.HIDDEN)
    with django_capture_on_commit_callbacks(execute=True):
        assert services.digest_send() == 0
    assert outbox.outbox == []


def test_unsubscribe_link_works_without_login_and_only_for_its_owner(
    client, django_capture_on_commit_callbacks
):
    reader = UserFactory(username="reader")
    project = ProjectFactory()
    services.project_follow(user=reader, project=project)
    with django_capture_on_commit_callbacks(execute=True):
        services.proposal_published(ProposalFactory(project=project))
    links = [path for path in LINK.findall(outbox.outbox[0].body) if "/abmelden/" in path]
    assert len(links) == 1
    page = client.get(links[0])
    assert page.status_code == 200
    assert not AlertSettings.objects.filter(user=reader, frequency=Frequency.OFF).exists()
    # The mail client's one-click POST: no session, no CSRF token.
    csrf_client = type(client)(enforce_csrf_checks=True)
    assert csrf_client.post(links[0]).status_code == 200
    assert AlertSettings.objects.get(user=reader).frequency == Frequency.OFF

    outbox.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        services.proposal_published(ProposalFactory(project=project))
    assert outbox.outbox == []

    forged = links[0].replace("/abmelden/", "/abmelden/x")
    assert client.post(forged).status_code == 404


def test_progress_update_by_staff_notifies_followers(client, django_capture_on_commit_callbacks):
    city = planner(username="city")
    proposal = ProposalFactory(status=Proposal.Status.ACCEPTED)
    follower = UserFactory(username="follower")
    services.proposal_follow(user=follower, proposal=proposal)
    client.force_login(city)
    url = reverse("alerts:progress-new", args=[proposal.pk])
    refused = client.post(url, {"text": "", "stage": "under_way", "percent": "150"})
    assert refused.status_code == 400
    assert not proposal.progress_updates.exists()
    with django_capture_on_commit_callbacks(execute=True):
        done = client.post(
            url, {"text": "Die Bank ist bestellt.", "stage": "under_way", "percent": "40"}
        )
    assert done.status_code == 302
    assert [m.to for m in outbox.outbox] == [["follower@example.org"]]
    assert "Die Bank ist bestellt." in outbox.outbox[0].body
    page = client.get(proposal.get_absolute_url())
    assert "Die Bank ist bestellt." in page.content.decode()

    client.force_login(follower)
    assert client.post(url, {"text": "Ich war's"}).status_code == 403


def test_progress_only_for_accepted_proposals():
    from django.core.exceptions import PermissionDenied

    with pytest.raises(PermissionDenied):
        services.progress_add(actor=planner(), proposal=ProposalFactory(), text="Zu früh")


def test_personal_data_export_and_erase():
    person = UserFactory(username="person")
    proposal = ProposalFactory()
    services.proposal_follow(user=person, proposal=proposal)
    services.area_subscribe(user=person, kind="district", district=AreaFactory())
    AlertSettings.objects.create(user=person, frequency=Frequency.DAILY)
    part = next(p for p in personal_data.parts() if p.app_label == "alerts")
    data = part.export(person)
    assert data["alert_settings"] == {"frequency": "daily"}
    assert sorted(s["kind"] for s in data["subscriptions"]) == ["district", "proposal"]
    assert part.erase is not None
    part.erase(person)
    assert not Subscription.objects.filter(user=person).exists()
    assert not AlertSettings.objects.filter(user=person).exists()


def test_the_worker_sends_the_digest_daily(django_capture_on_commit_callbacks):
    from procrastinate.contrib.django import app

    from proposals.alerts import tasks

    app.perform_import_paths()
    periodic = [t.task.name for t in app.periodic_registry.periodic_tasks.values()]
    assert "alerts.send_digests" in periodic
    assert tasks.send_digests.queue == "mail"  # the queue `make serve`'s worker serves

    reader = UserFactory(username="reader")
    AlertSettings.objects.create(user=reader, frequency=Frequency.DAILY)
    project = ProjectFactory()
    services.project_follow(user=reader, project=project)
    services.proposal_published(ProposalFactory(project=project, title="Morgens"))
    with django_capture_on_commit_callbacks(execute=True):
        tasks.send_digests(timestamp=0)
    assert [m.to for m in outbox.outbox] == [["reader@example.org"]]
