"""Neutral names stop showing the account id: every profile gets a random pseudonym.

Accounts without a profile (made before profiles, or by the admin) get one now, so that every
existing person's neutral name changes from "#<id>" to a code in one step.
"""

import secrets

from django.conf import settings
from django.db import migrations, models

import accounts.models

ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"


def assign_pseudonyms(apps, schema_editor):  # type: ignore[no-untyped-def]
    Profile = apps.get_model("accounts", "Profile")
    User = apps.get_model(*settings.AUTH_USER_MODEL.split("."))
    used: set[str] = set()

    def fresh() -> str:
        while True:
            code = "".join(secrets.choice(ALPHABET) for _i in range(8))
            if code not in used:
                used.add(code)
                return code

    for profile in Profile.objects.filter(pseudonym__isnull=True).only("pk"):
        Profile.objects.filter(pk=profile.pk).update(pseudonym=fresh())
    Profile.objects.bulk_create(
        Profile(user_id=pk, display_name="", pseudonym=fresh())
        for pk in User.objects.filter(profile__isnull=True).values_list("pk", flat=True)
    )


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0004_rate_counter_moves_to_infra"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddField(
            model_name="profile",
            name="pseudonym",
            field=models.CharField(
                max_length=8,
                null=True,
                editable=False,
                verbose_name="pseudonym",
            ),
        ),
        migrations.RunPython(assign_pseudonyms, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="profile",
            name="pseudonym",
            field=models.CharField(
                default=accounts.models.new_pseudonym,
                editable=False,
                help_text="Random code of the neutral name shown without a display name.",
                max_length=8,
                unique=True,
                verbose_name="pseudonym",
            ),
        ),
    ]
