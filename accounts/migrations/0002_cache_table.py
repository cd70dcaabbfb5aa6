"""The database cache table (settings.CACHES): rate limits and allauth's counters live there.

A migration makes it wherever the schema is made — `migrate`, the test databases, the
benchmark's database — so no deployment can forget `createcachetable`.
"""

from django.core.management import call_command
from django.db import migrations


def create_cache_table(apps, schema_editor):
    call_command("createcachetable", database=schema_editor.connection.alias, verbosity=0)


class Migration(migrations.Migration):
    dependencies = [("accounts", "0001_initial")]

    operations = [migrations.RunPython(create_cache_table, migrations.RunPython.noop)]
