"""Tables of the infrastructure: the counters of the rate limits on writes."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class RateCounter(models.Model):
    """How many writes one client made in one scope during the current window.

    One row per scope and client, counted up by a single atomic upsert (infra/ratelimit.py),
    so all app server processes share the count exactly. A row whose window has ended counts
    for nothing and is pruned (`expires_at`).
    """

    key = models.CharField(_("scope and client"), max_length=200, primary_key=True)
    window_index = models.BigIntegerField(_("window"))
    count = models.PositiveIntegerField(_("count"), default=0)
    # The end of the row's window (Unix seconds): pruning deletes by it without knowing rates.
    expires_at = models.BigIntegerField(_("expires"), db_index=True)

    class Meta:
        verbose_name = _("rate counter")
        verbose_name_plural = _("rate counters")

    def __str__(self) -> str:
        return f"{self.key}: {self.count}"
