"""Role checks for templates: the same predicates as everywhere, from proposals/rules.py."""

from django import template

from accounts.types import Person
from proposals import rules
from proposals.models import Proposal

register = template.Library()


@register.filter
def is_planner(user: Person) -> bool:
    return rules.is_planner(user)


@register.filter
def is_gis_staff(user: Person) -> bool:
    return rules.is_gis_staff(user)


@register.filter
def is_author_of(user: Person, proposal: Proposal) -> bool:
    return rules.is_author(user, proposal)
