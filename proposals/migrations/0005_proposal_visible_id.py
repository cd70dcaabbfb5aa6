# The index-only path for deep pages in id order (OGC items): see Proposal.Meta.indexes.

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("proposals", "0004_comment_is_official"),
    ]

    operations = [
        migrations.AddIndex(
            model_name="proposal",
            index=models.Index(
                fields=["visibility", "id"], include=("project",), name="proposal_visible_id"
            ),
        ),
    ]
