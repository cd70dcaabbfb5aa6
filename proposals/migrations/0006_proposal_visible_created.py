# The index-only path for deep pages in the lists' order (newest first): see Proposal.Meta.indexes.

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("proposals", "0005_proposal_visible_id"),
    ]

    operations = [
        migrations.AddIndex(
            model_name="proposal",
            index=models.Index(
                fields=["visibility", "created_at", "id"],
                include=("project",),
                name="proposal_visible_created",
            ),
        ),
    ]
