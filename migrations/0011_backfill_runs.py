from tortoise import migrations
from tortoise.migrations import operations as ops
import functools
from json import dumps, loads
from tortoise import fields
from tortoise.indexes import Index

class Migration(migrations.Migration):
    dependencies = [('fidelio', '0010_campaign_texts')]

    initial = False

    operations = [
        ops.CreateModel(
            name='BackfillRun',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('badge_code', fields.CharField(max_length=64)),
                ('status', fields.CharField(default='RUNNING', description='RUNNING, DONE or FAILED.', max_length=8)),
                ('batch_size', fields.IntField(default=500)),
                ('done', fields.IntField(default=0, description='Members looked at so far, and members there were when the run started.')),
                ('total', fields.IntField(default=0)),
                ('after_member_id', fields.BigIntField(default=0, description='The last member id of the last finished batch (the next batch starts after it).')),
                ('awarded', fields.IntField(default=0)),
                ('error', fields.CharField(null=True, description='Why a FAILED run stopped.', max_length=500)),
                ('started_by', fields.CharField(max_length=200)),
                ('started_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('heartbeat_at', fields.DatetimeField(description='Written after each batch: a RUNNING run whose heartbeat is old was left by a dead process.', auto_now=False, auto_now_add=False)),
                ('finished_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'backfill_run', 'app': 'fidelio', 'indexes': [Index(fields=['status', 'heartbeat_at'])], 'pk_attr': 'id', 'table_description': 'A back-fill of one badge over the recorded history, started from the console and run'},
            bases=['Model'],
        ),
        ops.AddField(
            model_name='EarningRules',
            name='channel_multipliers',
            field=fields.JSONField(default=dict, description='{channel (APP, WEB, STORE): multiplier}, 1 for a channel not listed', encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads),
        ),
    ]
