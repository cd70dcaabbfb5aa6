"""The filters of proposal lists, once: the REST list and the vector tiles apply them."""

from __future__ import annotations

import django_filters
from django import forms
from django.utils.translation import gettext_lazy as _

from proposals.models import Proposal


class SlugFilter(django_filters.CharFilter):
    """Equality with a slug; anything that cannot be one is a 400 naming the parameter."""

    field_class = forms.SlugField


class ProposalFilter(django_filters.FilterSet):
    project = SlugFilter(field_name="project__slug", help_text=_("Only this project's proposals."))
    category = SlugFilter(field_name="category__slug", help_text=_("Only this category (slug)."))
    status = django_filters.ChoiceFilter(
        choices=Proposal.Status.choices, help_text=_("Only this review status.")
    )

    class Meta:
        model = Proposal
        fields = ["project", "category", "status"]

    def errors_by_field(self) -> dict[str, list[str]]:
        """The form's messages per parameter, for a 400 answer."""
        return {name: [str(message) for message in errors] for name, errors in self.errors.items()}
