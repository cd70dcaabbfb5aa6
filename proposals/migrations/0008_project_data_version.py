# A project's data version (ProjectDataVersion), kept by triggers on every table its page reads.
#
# Statement-level triggers with transition tables: one bump per statement and project, so a bulk
# INSERT … SELECT of a million votes (generate_load) costs one upsert, not a million. The bump
# happens in the writing transaction, so a reader sees the new data and the new version together:
# a page read after the version can only be newer than its key, never older.

from django.db import migrations, models

SEQUENCE = "proposals_project_data_version_seq"
TABLE = "proposals_projectdataversion"

# The projects a table's changed rows belong to; `{rows}` is the statement's transition table.
PROJECTS_OF = {
    "proposals_category": "SELECT project_id FROM {rows}",
    "proposals_proposal": "SELECT project_id FROM {rows}",
    "proposals_vote": "SELECT project_id FROM {rows}",
    "proposals_papertally": "SELECT project_id FROM {rows}",
    "proposals_comment": (
        "SELECT p.project_id FROM {rows} AS r JOIN proposals_proposal AS p ON p.id = r.proposal_id"
    ),
    # The list shows each proposal's first photo; hiding one changes the page.
    "proposals_proposalphoto": (
        "SELECT p.project_id FROM {rows} AS r JOIN proposals_proposal AS p ON p.id = r.proposal_id"
    ),
    "proposals_papertallycount": (
        "SELECT t.project_id FROM {rows} AS r JOIN proposals_papertally AS t ON t.id = r.tally_id"
    ),
    # A site is drawn on every project map it touches: its change bumps them all (sites change
    # by the handful, in imports and the admin; the projects are a few dozen).
    "locations_site": "SELECT id FROM proposals_project WHERE EXISTS (SELECT FROM {rows})",
}

# Constants only, no input: the statements are the migration's own.
TOUCH = f"""
CREATE SEQUENCE {SEQUENCE};

-- A plain UPDATE (every project has its row from its INSERT): the cheapest write on the vote
-- path. Several projects are locked in id order first, so two such statements cannot deadlock.
CREATE FUNCTION proposals_touch_projects(ids bigint[]) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    IF cardinality(ids) > 1 THEN
        ids := ARRAY(SELECT DISTINCT u FROM unnest(ids) AS u WHERE u IS NOT NULL ORDER BY u);
        PERFORM FROM {TABLE} WHERE project_id = ANY(ids) ORDER BY project_id FOR UPDATE;
    END IF;
    UPDATE {TABLE} SET version = nextval('{SEQUENCE}') WHERE project_id = ANY(ids);
END $$;

-- TRUNCATE has no rows to look at: every project's page may have changed.
CREATE FUNCTION proposals_touch_all_projects() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE {TABLE} SET version = nextval('{SEQUENCE}');
    RETURN NULL;
END $$;

-- A project's own row: inserted, it gets its version row; changed, a new version; deleted, none.
CREATE FUNCTION proposals_touch_from_proposals_project() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        INSERT INTO {TABLE} (project_id, version)
        SELECT id, nextval('{SEQUENCE}') FROM new_rows ORDER BY id;
    ELSIF TG_OP = 'DELETE' THEN
        DELETE FROM {TABLE} WHERE project_id IN (SELECT id FROM old_rows);
    ELSE
        PERFORM proposals_touch_projects(ARRAY(SELECT id FROM new_rows));
    END IF;
    RETURN NULL;
END $$;

INSERT INTO {TABLE} (project_id, version)
SELECT id, nextval('{SEQUENCE}') FROM proposals_project;
"""  # noqa: S608


def _triggers(table: str) -> str:
    """INSERT, UPDATE and DELETE triggers of `table` (a trigger with transition tables serves
    one event), and its TRUNCATE trigger."""
    return f"""
CREATE TRIGGER {table}_touch_insert AFTER INSERT ON {table}
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION proposals_touch_from_{table}();
CREATE TRIGGER {table}_touch_update AFTER UPDATE ON {table}
    REFERENCING NEW TABLE AS new_rows OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION proposals_touch_from_{table}();
CREATE TRIGGER {table}_touch_delete AFTER DELETE ON {table}
    REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION proposals_touch_from_{table}();
CREATE TRIGGER {table}_touch_truncate AFTER TRUNCATE ON {table}
    FOR EACH STATEMENT EXECUTE FUNCTION proposals_touch_all_projects();
"""


def _function(table: str, projects_of: str) -> str:
    new, old = projects_of.format(rows="new_rows"), projects_of.format(rows="old_rows")
    return f"""
CREATE FUNCTION proposals_touch_from_{table}() RETURNS trigger LANGUAGE plpgsql AS $$
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


TABLES = ["proposals_project", *PROJECTS_OF]

FORWARD = "\n".join(
    [
        TOUCH,
        *(_function(table, sql) for table, sql in PROJECTS_OF.items()),
        *(_triggers(table) for table in TABLES),
    ]
)

BACKWARD = "\n".join(
    [
        *(
            f"DROP TRIGGER {table}_touch_{event} ON {table};"
            for table in TABLES
            for event in ("insert", "update", "delete", "truncate")
        ),
        *(f"DROP FUNCTION proposals_touch_from_{table}();" for table in TABLES),
        "DROP FUNCTION proposals_touch_all_projects();",
        "DROP FUNCTION proposals_touch_projects(bigint[]);",
        f"DROP SEQUENCE {SEQUENCE};",
    ]
)


class Migration(migrations.Migration):
    dependencies = [
        ("locations", "0001_initial"),
        ("proposals", "0007_photos"),
    ]

    operations = [
        migrations.CreateModel(
            name="ProjectDataVersion",
            fields=[
                (
                    "project_id",
                    models.BigIntegerField(
                        primary_key=True, serialize=False, verbose_name="project"
                    ),
                ),
                ("version", models.BigIntegerField(verbose_name="data version")),
            ],
            options={
                "verbose_name": "data version of a project",
                "verbose_name_plural": "data versions of projects",
            },
        ),
        migrations.RunSQL(FORWARD, BACKWARD),
    ]
