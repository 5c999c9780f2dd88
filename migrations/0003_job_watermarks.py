from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise import fields
from tortoise.indexes import Index

class Migration(migrations.Migration):
    dependencies = [('fidelio', '0002_config_versions')]

    initial = False

    operations = [
        ops.CreateModel(
            name='JobWatermark',
            fields=[
                ('name', fields.CharField(primary_key=True, unique=True, db_index=True, max_length=60)),
                ('done_until', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('fingerprint', fields.CharField(default='', description='What the run depended on (versions, settings), compared as text.', max_length=200)),
            ],
            options={'table': 'job_watermark', 'app': 'fidelio', 'pk_attr': 'name', 'table_description': 'One row per incremental job: how far its last complete run went.'},
            bases=['Model'],
        ),
        ops.AddIndex(
            model_name='PointsEntry',
            index=Index(fields=['created_at']),
        ),
        ops.AddIndex(
            model_name='PointsEntry',
            index=Index(fields=['available_at']),
        ),
    ]
