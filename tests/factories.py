"""Factories for tests: small, explicit objects in the Kaiserslautern area, SRIDs explicit."""

from __future__ import annotations

from datetime import timedelta

import factory
from allauth.account.models import EmailAddress
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, User
from django.contrib.gis.geos import MultiPolygon, Point, Polygon
from django.utils import timezone

from accounts import roles
from geo.models import Area
from locations.models import Site
from proposals.models import Category, Comment, Project, Proposal, Vote

# A box around Kaiserslautern's centre (EPSG:4326): the default project perimeter in tests.
CENTRE_BOX = (7.74, 49.43, 7.79, 49.45)
INSIDE = Point(7.7689, 49.4447, srid=4326)  # Stiftsplatz
OUTSIDE = Point(7.70, 49.40, srid=4326)  # south-west of the box, still in the city


def box(x1: float, y1: float, x2: float, y2: float) -> MultiPolygon:
    return MultiPolygon(Polygon.from_bbox((x1, y1, x2, y2)), srid=4326)


class UserFactory(factory.django.DjangoModelFactory[User]):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"person{n}")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.org")
    password = factory.PostGenerationMethodCall("set_password", "correct horse battery")

    @factory.post_generation
    def role(self, create: bool, extracted: str | None, **kwargs: object) -> None:
        if create and extracted:
            self.groups.add(Group.objects.get_or_create(name=extracted)[0])
        if create:
            self.save()

    @factory.post_generation
    def email_verified(self, create: bool, extracted: bool | None, **kwargs: object) -> None:
        """Accounts write only with a confirmed address; `email_verified=False` for one without."""
        if create and self.email:
            EmailAddress.objects.update_or_create(
                user=self,
                email=self.email,
                defaults={"primary": True, "verified": extracted is not False},
            )


def planner(**kwargs: object) -> User:
    return UserFactory(role=roles.PLANNER, **kwargs)


class AreaFactory(factory.django.DjangoModelFactory[Area]):
    class Meta:
        model = Area

    name = factory.Sequence(lambda n: f"Bezirk {n}")
    slug = factory.Sequence(lambda n: f"bezirk-{n}")
    kind = Area.Kind.DISTRICT
    geometry = factory.LazyFunction(lambda: box(*CENTRE_BOX))
    population = 10000


class SiteFactory(factory.django.DjangoModelFactory[Site]):
    class Meta:
        model = Site

    name = factory.Sequence(lambda n: f"Platz {n}")
    slug = factory.Sequence(lambda n: f"platz-{n}")
    kind = Site.Kind.SQUARE
    location = factory.LazyFunction(lambda: Point(INSIDE.x, INSIDE.y, srid=4326))


class ProjectFactory(factory.django.DjangoModelFactory[Project]):
    """A published project collecting ideas now; `voting=True` makes it one in its voting phase."""

    class Meta:
        model = Project

    class Params:
        voting = factory.Trait(
            ideas_start=factory.LazyFunction(lambda: timezone.now() - timedelta(days=20)),
            ideas_end=factory.LazyFunction(lambda: timezone.now() - timedelta(days=10)),
            voting_start=factory.LazyFunction(lambda: timezone.now() - timedelta(days=1)),
            voting_end=factory.LazyFunction(lambda: timezone.now() + timedelta(days=10)),
        )

    title = factory.Sequence(lambda n: f"Projekt {n}")
    slug = factory.Sequence(lambda n: f"projekt-{n}")
    summary = "Ein Testprojekt."
    perimeter = factory.LazyFunction(lambda: box(*CENTRE_BOX))
    is_published = True
    ideas_start = factory.LazyFunction(lambda: timezone.now() - timedelta(days=1))
    ideas_end = factory.LazyFunction(lambda: timezone.now() + timedelta(days=10))


class CategoryFactory(factory.django.DjangoModelFactory[Category]):
    class Meta:
        model = Category

    project = factory.SubFactory(ProjectFactory)
    name = factory.Sequence(lambda n: f"Kategorie {n}")
    slug = factory.Sequence(lambda n: f"kategorie-{n}")


class ProposalFactory(factory.django.DjangoModelFactory[Proposal]):
    class Meta:
        model = Proposal

    project = factory.SubFactory(ProjectFactory)
    title = factory.Sequence(lambda n: f"Idee {n}")
    description = "Eine Idee für den Platz."
    location = factory.LazyFunction(lambda: Point(INSIDE.x, INSIDE.y, srid=4326))
    author = factory.SubFactory(UserFactory)


class CommentFactory(factory.django.DjangoModelFactory[Comment]):
    class Meta:
        model = Comment

    proposal = factory.SubFactory(ProposalFactory)
    author = factory.SubFactory(UserFactory)
    body = "Gute Idee!"


class VoteFactory(factory.django.DjangoModelFactory[Vote]):
    class Meta:
        model = Vote

    proposal = factory.SubFactory(ProposalFactory)
    project = factory.SelfAttribute("proposal.project")
    user = factory.SubFactory(UserFactory)
