"""Rate counters are infrastructure now (infra 0001 makes their table anew)."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0003_rate_counter"),
    ]

    operations = [
        migrations.DeleteModel(
            name="RateCounter",
        ),
    ]
