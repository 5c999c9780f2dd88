from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise.indexes import Index


class Migration(migrations.Migration):
    dependencies = [('fidelio', '0008_offers')]

    initial = False

    # The hourly birthday job looks up the dates near today in every birth year, and the
    # segments' age bounds are ranges of birth dates: both read this index instead of every
    # member. AddIndex, never AlterField (on SQLite that rebuilds the table).
    operations = [
        ops.AddIndex(model_name='Member', index=Index(fields=['birth_date'])),
    ]
