"""The project's URLs plus the vote benchmark's baseline: a signed-in no-op API request."""

from __future__ import annotations

from typing import Any

from django.urls import path
from rest_framework import permissions, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from api.parsers import CappedJSONParser
from api.v1.views import RequestLanguage
from config.urls import urlpatterns as project_urlpatterns


class SignedInNoop(RequestLanguage, APIView):
    """Everything a vote passes through except its own work: the session, authentication, CSRF
    (DRF's session authentication enforces it on a POST), the JSON body parsed, a JSON answer."""

    permission_classes = [permissions.IsAuthenticated]
    parser_classes = [CappedJSONParser]

    def post(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        data: Any = request.data  # parsed, as the vote's serializer has it parsed
        answer = {"proposal": data.get("proposal"), "vote_count": None, "has_voted": True}
        return Response(answer, status=status.HTTP_201_CREATED)


urlpatterns = [path("bench/noop/", SignedInNoop.as_view()), *project_urlpatterns]
