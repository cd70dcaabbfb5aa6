"""The project's URLs plus /whoami/: who the session says is signed in, through DRF's session
authentication like every API view (tests/accounts/test_sessions.py)."""

from __future__ import annotations

from typing import Any

from django.urls import path
from rest_framework import permissions
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from config.urls import urlpatterns as project_urlpatterns


class WhoAmI(APIView):
    permission_classes = [permissions.AllowAny]

    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return Response({"user": request.user.pk if request.user.is_authenticated else None})


urlpatterns = [path("whoami/", WhoAmI.as_view()), *project_urlpatterns]
