from tortoise import migrations
from tortoise.migrations import operations as ops
import functools
from json import dumps, loads
from tortoise.fields.base import OnDelete
from tortoise import fields
from tortoise.indexes import Index

class Migration(migrations.Migration):
    dependencies = [('fidelio', '0007_perf')]

    initial = False

    operations = [
        ops.CreateModel(
            name='AnniversaryOffer',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('enabled', fields.BooleanField(default=False)),
                ('points', fields.IntField(default=0, description='Bonus points credited with the greeting (0: none).')),
                ('reward_code', fields.CharField(null=True, description='A reward handed out as a coupon without spending points (null: none).', max_length=64)),
                ('local_hour', fields.IntField(default=9, description="Anniversaries are celebrated from this local hour on (the member's time zone).")),
                ('updated_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'anniversary_offer', 'app': 'fidelio', 'pk_attr': 'id', 'table_description': 'What members get on the anniversary of their first purchase: one row (id 1), none'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='RecommendationModel',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('trained_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('kind', fields.CharField(description='MODEL (a collaborative model scored members) or POPULAR (too little data: popularity).', max_length=10)),
                ('active', fields.BooleanField(default=False)),
                ('data_hash', fields.CharField(description='sha256 of the training data, the catalogue and the parameters: same data, same version.', max_length=64)),
                ('parameters', fields.JSONField(default=dict, description='The training parameters (factors, iterations, weights by kind, half-life...).', encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('metrics', fields.JSONField(default=dict, description='Figures of the run: members, items, interactions, members scored, seconds.', encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('source_marks', fields.JSONField(default=dict, description='The highest id read from each source table, to count what arrived since.', encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
            ],
            options={'table': 'recommendation_model', 'app': 'fidelio', 'indexes': [Index(fields=['active'])], 'pk_attr': 'id', 'table_description': 'One training of the recommender: its version (the id), when, on what and how well.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='MemberRecommendation',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('model', fields.ForeignKeyField('fidelio.RecommendationModel', source_field='model_id', db_constraint=True, to_field='id', related_name='recommendations', on_delete=OnDelete.CASCADE)),
                ('member', fields.ForeignKeyField('fidelio.Member', source_field='member_id', db_constraint=True, to_field='id', related_name='recommendations', on_delete=OnDelete.CASCADE)),
                ('reward', fields.ForeignKeyField('fidelio.Reward', source_field='reward_id', db_constraint=True, to_field='id', related_name='recommendations', on_delete=OnDelete.CASCADE)),
                ('rank', fields.IntField()),
                ('score', fields.FloatField()),
                ('reason_kind', fields.CharField(description='CATEGORY, CATEGORY_OFTEN, REWARD, DROP or BADGE: what kind of item the reason is.', max_length=16)),
                ('reason_label', fields.CharField(default='', description="The reason item's name as people read it (a category, a reward's or a drop's name).", max_length=200)),
            ],
            options={'table': 'member_recommendation', 'app': 'fidelio', 'indexes': [Index(fields=['member_id', 'model_id']), Index(fields=['reward_id', 'model_id', 'score'])], 'pk_attr': 'id', 'table_description': "A reward the model ranks for a member, with the score and the member's own item that"},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='PopularReward',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('model', fields.ForeignKeyField('fidelio.RecommendationModel', source_field='model_id', db_constraint=True, to_field='id', related_name='popular', on_delete=OnDelete.CASCADE)),
                ('tier_level', fields.IntField()),
                ('region', fields.CharField(description="The members' country (ISO 3166-1 alpha-2), empty when unknown, `*` for everyone.", max_length=2)),
                ('reward', fields.ForeignKeyField('fidelio.Reward', source_field='reward_id', db_constraint=True, to_field='id', related_name='popularity', on_delete=OnDelete.CASCADE)),
                ('rank', fields.IntField()),
                ('score', fields.FloatField()),
            ],
            options={'table': 'popular_reward', 'app': 'fidelio', 'indexes': [Index(fields=['model_id', 'tier_level', 'region'])], 'pk_attr': 'id', 'table_description': 'The rewards most redeemed by a group of members (a tier level in a region), for members'},
            bases=['Model'],
        ),
    ]
