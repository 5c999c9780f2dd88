from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise.indexes import Index

class Migration(migrations.Migration):
    dependencies = [('fidelio', '0011_backfill_runs')]

    initial = False

    operations = [
        ops.AddIndex(
            model_name='Refund',
            index=Index(fields=['purchase_id']),
        ),
    ]
