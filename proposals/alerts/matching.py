"""Who hears about an event: every subscription matched in ONE statement of PostGIS.

The statement finds the recipients (followers of the proposal, of its project, areas containing
its point — districts, a site's surroundings, drawn areas — with their project and category
filters, and for outcomes the proposal's voters), drops people who turned e-mails off or have no
active address, writes one notice per person, and returns them with their address. Immediate
notices are marked sent in the same statement; their e-mails are queued by the caller after
commit, daily ones wait for the digest.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db import connection

from geo.crs import METRIC_SRID


@dataclass(frozen=True)
class Recipient:
    notice_id: int
    user_id: int
    email: str
    immediate: bool


# The area branches share the filters: no project filter or the proposal's project in it, no
# category filter or the proposal's category in it.
_FILTERS = """
    AND (NOT EXISTS (SELECT 1 FROM alerts_subscription_in_projects f
                     WHERE f.subscription_id = s.id)
         OR EXISTS (SELECT 1 FROM alerts_subscription_in_projects f
                    WHERE f.subscription_id = s.id AND f.project_id = e.project_id))
    AND (NOT EXISTS (SELECT 1 FROM alerts_subscription_in_categories f
                     WHERE f.subscription_id = s.id)
         OR EXISTS (SELECT 1 FROM alerts_subscription_in_categories f
                    WHERE f.subscription_id = s.id AND f.category_id = e.category_id))
"""

# Only constants are formatted in; every value is a parameter.
MATCH_SQL = f"""
WITH e AS (
    SELECT p.id, p.project_id, p.category_id, p.location AS point,
           ST_Transform(p.location, {METRIC_SRID}) AS metric_point
    FROM proposals_proposal p WHERE p.id = %(proposal)s
),
matched AS (
    SELECT s.user_id FROM alerts_subscription s, e
    WHERE s.kind = 'proposal' AND s.proposal_id = e.id AND %(to_followers)s
    UNION
    SELECT s.user_id FROM alerts_subscription s, e
    WHERE s.kind = 'project' AND s.project_id = e.project_id
    UNION
    SELECT s.user_id FROM alerts_subscription s, e
    WHERE s.kind IN ('radius', 'drawn') AND ST_Intersects(s.region, e.metric_point) {_FILTERS}
    UNION
    SELECT s.user_id FROM alerts_subscription s JOIN geo_area a ON a.id = s.district_id, e
    WHERE s.kind = 'district' AND ST_Intersects(a.geometry, e.point) {_FILTERS}
    UNION
    SELECT v.user_id FROM proposals_vote v, e WHERE v.proposal_id = e.id AND %(to_voters)s
),
inserted AS (
    INSERT INTO alerts_notice (user_id, event, proposal_id, response_id, progress_id,
                               created_at, sent_at)
    SELECT u.id, %(event)s, %(proposal)s, %(response)s, %(progress)s, now(),
           CASE WHEN COALESCE(st.frequency, 'immediate') = 'immediate' THEN now() END
    FROM matched m
    JOIN auth_user u ON u.id = m.user_id
    LEFT JOIN alerts_alertsettings st ON st.user_id = u.id
    WHERE u.is_active AND u.email <> ''
      AND COALESCE(st.frequency, 'immediate') <> 'off'
      AND u.id IS DISTINCT FROM %(exclude)s
    RETURNING id, user_id, sent_at IS NOT NULL AS immediate
)
SELECT i.id, i.user_id, u.email, i.immediate
FROM inserted i JOIN auth_user u ON u.id = i.user_id
ORDER BY i.user_id
"""  # noqa: S608


def match_and_record(
    *,
    event: str,
    proposal_id: int,
    response_id: int | None = None,
    progress_id: int | None = None,
    exclude_user_id: int | None = None,
    to_followers: bool = True,
    to_voters: bool = False,
) -> list[Recipient]:
    """One statement: match the event against all subscriptions and record the notices."""
    with connection.cursor() as cursor:
        cursor.execute(
            MATCH_SQL,
            {
                "event": event,
                "proposal": proposal_id,
                "response": response_id,
                "progress": progress_id,
                "exclude": exclude_user_id,
                "to_followers": to_followers,
                "to_voters": to_voters,
            },
        )
        return [Recipient(*row) for row in cursor.fetchall()]
