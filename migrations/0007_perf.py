from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise.fields.base import OnDelete
from tortoise import fields
from tortoise.indexes import Index

class Migration(migrations.Migration):
    dependencies = [('fidelio', '0006_console')]

    initial = False

    operations = [
        ops.CreateModel(
            name='SegmentMember',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('segment', fields.ForeignKeyField('fidelio.Segment', source_field='segment_id', db_constraint=True, to_field='id', related_name='counted_members', on_delete=OnDelete.CASCADE)),
                ('member_id', fields.BigIntField()),
            ],
            options={'table': 'segment_member', 'app': 'fidelio', 'unique_together': (('segment', 'member_id'),), 'pk_attr': 'id', 'table_description': "A member of a segment as of its segment's last count (`segment-counts` job): what"},
            bases=['Model'],
        ),
        ops.AddField(
            model_name='Member',
            name='inputs_changed_at',
            field=fields.DatetimeField(null=True, description='When a column that segments read last changed after joining (tier, country, city, birth', auto_now=False, auto_now_add=False),
        ),
        # Indexes as AddIndex, never AlterField: on SQLite an AlterField rebuilds the table and
        # leaves its indexes and unique constraints behind.
        ops.AddIndex(model_name='Member', index=Index(fields=['joined_at'])),
        ops.AddIndex(model_name='Member', index=Index(fields=['inputs_changed_at'])),
        ops.AddIndex(model_name='Purchase', index=Index(fields=['recorded_at'])),
        ops.AddIndex(model_name='MemberBadge', index=Index(fields=['earned_at'])),
    ]
