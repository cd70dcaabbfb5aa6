# Votes change the project's data version only where the visitors' page shows vote totals: where
# the results are public, or become public within a minute (a vote committing just after voting
# closes still changes it). While the results are secret, a vote leaves the visitors' kept page
# in place, so the page cache keeps working through the busiest phase (issue 15).
#
# SHOWN is `proposals.selectors.projects_showing_votes_sql()` as it was written here; a
# migration is frozen, so tests/proposals/test_project_page_cache.py checks the rule still
# compiles to this text (a change of the results rule needs a migration of its own).

from django.db import migrations

SHOWN = (
    'SELECT "proposals_project"."id" AS "pk" FROM "proposals_project" WHERE '
    '(("proposals_project"."is_published" AND (now() + interval \'1 minute\') >= '
    '(GREATEST("proposals_project"."ideas_end", "proposals_project"."voting_end"))) OR '
    '("proposals_project"."is_published" AND "proposals_project"."results_visibility" = \'live\' '
    'AND "proposals_project"."voting_end" > (now() + interval \'1 minute\') AND '
    '"proposals_project"."voting_start" <= (now() + interval \'1 minute\')))'
)


def _function(condition: str) -> str:
    """The votes' trigger function: the projects of the changed rows that pass `condition`."""
    # Constants of this migration only.
    new = f"SELECT project_id FROM new_rows WHERE {condition}"  # noqa: S608
    old = f"SELECT project_id FROM old_rows WHERE {condition}"  # noqa: S608
    return f"""
CREATE OR REPLACE FUNCTION proposals_touch_from_proposals_vote() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        PERFORM proposals_touch_projects(ARRAY({new}));
    ELSIF TG_OP = 'DELETE' THEN
        PERFORM proposals_touch_projects(ARRAY({old}));
    ELSE
        PERFORM proposals_touch_projects(ARRAY({new} UNION {old}));
    END IF;
    RETURN NULL;
END $$;
"""


class Migration(migrations.Migration):
    dependencies = [("proposals", "0009_vote_redundant_indexes")]

    operations = [
        migrations.RunSQL(
            _function(f"project_id IN ({SHOWN})"),
            reverse_sql=_function("TRUE"),
        )
    ]
