from tortoise import migrations
from tortoise.migrations import operations as ops
import functools
from json import dumps, loads
from tortoise import fields
from tortoise.indexes import Index

class Migration(migrations.Migration):
    dependencies = [('fidelio', '0003_job_watermarks')]

    initial = False

    operations = [
        ops.CreateModel(
            name='AuditEntry',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('actor', fields.CharField(description="The admin principal's subject: an admin token's `sub`, a console account's email.", max_length=254)),
                ('action', fields.CharField(description='A stable name of what was done, e.g. "reward.upsert".', max_length=64)),
                ('target_kind', fields.CharField(description='What was changed: its kind ("reward", "member", "tiers") and its key (code, id).', max_length=40)),
                ('target_id', fields.CharField(max_length=128)),
                ('before', fields.JSONField(null=True, description='The changed fields as they were (null: the target did not exist).', encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('after', fields.JSONField(null=True, description='The changed fields as they are now (null: the target is gone).', encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('request_id', fields.CharField(null=True, description='The id of the request that made the change (its X-Request-ID), null outside requests.', max_length=64)),
            ],
            options={'table': 'audit_entry', 'app': 'fidelio', 'indexes': [Index(fields=['actor', 'id']), Index(fields=['action', 'id']), Index(fields=['target_kind', 'target_id', 'id']), Index(fields=['at'])], 'pk_attr': 'id', 'table_description': 'One admin change: who (`actor`), what (`action` on `target_kind` `target_id`), when'},
            bases=['Model'],
        ),
        ops.AddField(
            model_name='Badge',
            name='translations',
            field=fields.JSONField(default=dict, description='Names and descriptions per locale: {"es-MX": {"name": ..., "description": ...}}', encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads),
        ),
        ops.AddField(
            model_name='Challenge',
            name='translations',
            field=fields.JSONField(default=dict, description='Names and descriptions per locale: {"es-MX": {"name" (the title): ..., "description": ...}}', encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads),
        ),
        ops.AddField(
            model_name='Drop',
            name='translations',
            field=fields.JSONField(default=dict, description='Names and descriptions per locale: {"es-MX": {"name" (the title): ..., "description": ...}}', encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads),
        ),
        ops.AddField(
            model_name='Reward',
            name='translations',
            field=fields.JSONField(default=dict, description='Names and descriptions per locale: {"es-MX": {"name": ..., "description": ...}}', encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads),
        ),
        ops.AddField(
            model_name='Tier',
            name='translations',
            field=fields.JSONField(default=dict, description='Names per locale: {"es-MX": {"name": ...}} (domain.translations).', encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads),
        ),
    ]
