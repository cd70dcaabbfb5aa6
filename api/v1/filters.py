"""List filters (django-filter FilterSets) in the API: validated with the paging, documented."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Generic, TypeVar

import django_filters
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter
from rest_framework import serializers
from rest_framework.exceptions import ValidationError
from rest_framework.request import Request

F = TypeVar("F", bound=django_filters.FilterSet)


@dataclass(frozen=True)
class ValidFilters(Generic[F]):
    filterset: F  # bound and valid: `filterset.filter_queryset(rows)` applies it
    page: dict[str, Any]  # the validated paging parameters (empty without a page serializer)


def valid_filters(
    filterset_class: type[F],
    request: Request,
    *,
    page: type[serializers.Serializer] | None = None,
) -> ValidFilters[F]:
    """The request's filters (and paging), or one 400 naming every bad parameter."""
    filterset = filterset_class(request.query_params)
    errors: dict[str, Any] = {}
    if not filterset.is_valid():
        errors.update(
            {name: [str(message) for message in found] for name, found in filterset.errors.items()}
        )
    page_data: dict[str, Any] = {}
    if page is not None:
        paging = page(data=request.query_params)
        if paging.is_valid():
            page_data = dict(paging.validated_data)
        else:
            errors.update(paging.errors)
    if errors:
        raise ValidationError(errors)
    return ValidFilters(filterset, page_data)


def filterset_parameters(filterset_class: type[django_filters.FilterSet]) -> list[OpenApiParameter]:
    """The filters as OpenAPI query parameters: names, choices and help from the FilterSet."""
    parameters = []
    for name, found in filterset_class.base_filters.items():
        choices = found.extra.get("choices")
        parameters.append(
            OpenApiParameter(
                name,
                OpenApiTypes.STR,
                OpenApiParameter.QUERY,
                required=False,
                description=found.extra.get("help_text", ""),
                enum=[value for value, _label in choices] if choices else None,
            )
        )
    return parameters
