"""Fixtures of the accounts tests: people with and without a confirmed address, a mail helper."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.core import mail

from tests.factories import UserFactory

PASSWORD = "correct horse battery"  # the factories' password


@pytest.fixture
def unconfirmed(db: Any) -> Any:
    return UserFactory(username="unbestaetigt", email_verified=False)


def link_in_mail(index: int = -1) -> str:
    """The path of the (one) link to this site in an e-mail of the outbox."""
    body = mail.outbox[index].body
    links = re.findall(r"https?://testserver(/\S+)", body)
    assert len(links) == 1, body
    return links[0]
