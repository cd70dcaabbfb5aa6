"""The rate counters, moved here from accounts (accounts 0004 drops the old table).

Counters live for one window at most, so nothing is carried over: the limits start counting
again at the deployment, which is a moment's extra allowance, not a gap.
"""

from django.db import migrations, models


class Migration(migrations.Migration):
    initial = True

    dependencies = []

    operations = [
        migrations.CreateModel(
            name="RateCounter",
            fields=[
                (
                    "key",
                    models.CharField(
                        max_length=200,
                        primary_key=True,
                        serialize=False,
                        verbose_name="scope and client",
                    ),
                ),
                ("window_index", models.BigIntegerField(verbose_name="window")),
                ("count", models.PositiveIntegerField(default=0, verbose_name="count")),
                ("expires_at", models.BigIntegerField(db_index=True, verbose_name="expires")),
            ],
            options={
                "verbose_name": "rate counter",
                "verbose_name_plural": "rate counters",
            },
        ),
        # Counters need no crash safety: unlogged, a write is not held up by flushing the WAL.
        migrations.RunSQL(
            "ALTER TABLE infra_ratecounter SET UNLOGGED",
            "ALTER TABLE infra_ratecounter SET LOGGED",
        ),
    ]
