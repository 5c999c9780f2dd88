from tortoise import migrations
from tortoise.migrations import operations as ops
import functools
from json import dumps, loads
from tortoise import fields
from tortoise.indexes import Index

class Migration(migrations.Migration):
    dependencies = [('fidelio', '0009_birth_dates')]

    initial = False

    operations = [
        ops.AddField(
            model_name='Campaign',
            name='texts',
            field=fields.JSONField(default=dict, description='Admin campaigns: {locale: {"title", "body"}} beside the base title and body.', encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads),
        ),
        ops.AddIndex(
            model_name='Notification',
            index=Index(fields=['dedupe_key', 'push_status']),
        ),
    ]
