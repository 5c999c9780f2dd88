from tortoise import migrations
from tortoise.migrations import operations as ops
import functools
from domain.members.models import Platform
from domain.points.models import EntryKind
from domain.purchases.models import Channel
from domain.referrals.models import EngagementKind
from json import dumps, loads
from tortoise.fields.base import OnDelete
from tortoise import fields
from tortoise.indexes import Index

class Migration(migrations.Migration):
    initial = True

    operations = [
        ops.CreateModel(
            name='Badge',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('code', fields.CharField(unique=True, max_length=64)),
                ('name', fields.CharField(max_length=120)),
                ('description', fields.CharField(max_length=500)),
                ('icon_url', fields.CharField(null=True, max_length=500)),
                ('secret', fields.BooleanField(default=False)),
                ('rule', fields.JSONField(description='The rule as JSON (gamification.rules.Rule.to_json()).', encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('reward_points', fields.IntField(default=0)),
                ('holders_count', fields.IntField(default=0, description='How many members hold it (kept as a counter so rarity is cheap to read).')),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('updated_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'badge', 'app': 'fidelio', 'pk_attr': 'id', 'table_description': 'An achievement defined by admins as data: a rule over the member events.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='EarningRules',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('points_per_currency_unit', fields.DecimalField(default=1, max_digits=10, decimal_places=4)),
                ('category_multipliers', fields.JSONField(default=dict, description='{category: multiplier}', encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('pending_days', fields.IntField(default=14)),
                ('expiry_days', fields.IntField(null=True)),
                ('tier_window_months', fields.IntField(default=12)),
                ('referrer_points', fields.IntField(default=500)),
                ('referee_points', fields.IntField(default=250)),
                ('share_points', fields.IntField(default=10)),
                ('review_points', fields.IntField(default=50)),
                ('survey_points', fields.IntField(default=25)),
                ('engagement_daily_cap', fields.IntField(default=3)),
                ('refund_expired_coupons', fields.BooleanField(default=True, description='Whether points come back for a coupon that expired unused.')),
                ('referrer_monthly_cap', fields.IntField(default=10, description='Most referral rewards a referrer can receive in one calendar month.')),
                ('updated_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'earning_rules', 'app': 'fidelio', 'pk_attr': 'id', 'table_description': "The program's earning rules: one row (id 1), replaced by configureEarningRules."},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='Member',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('customer_id', fields.CharField(null=True, unique=True, max_length=128)),
                ('display_name', fields.CharField(default='', max_length=80)),
                ('email', fields.CharField(null=True, max_length=254)),
                ('locale', fields.CharField(default='en', max_length=16)),
                ('time_zone', fields.CharField(default='UTC', max_length=64)),
                ('country', fields.CharField(null=True, max_length=2)),
                ('city', fields.CharField(null=True, max_length=80)),
                ('birth_date', fields.DateField(null=True)),
                ('referral_code', fields.CharField(unique=True, max_length=16)),
                ('joined_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('tier_level', fields.IntField(default=0, description='The tier held now (level 0 is the base tier). Kept by the tiers area: upgrades at once,')),
                ('tier_code', fields.CharField(null=True, max_length=32)),
                ('erased_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'member', 'app': 'fidelio', 'pk_attr': 'id', 'table_description': 'A shop customer in the loyalty program, created from the token subject on first sight.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='Device',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('member', fields.ForeignKeyField('fidelio.Member', source_field='member_id', db_constraint=True, to_field='id', related_name='devices', on_delete=OnDelete.CASCADE)),
                ('token', fields.CharField(unique=True, max_length=512)),
                ('platform', fields.CharEnumField(description='IOS: IOS\nANDROID: ANDROID\nWEB: WEB', enum_type=Platform, max_length=8)),
                ('app_version', fields.CharField(null=True, max_length=32)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('last_seen_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'device', 'app': 'fidelio', 'pk_attr': 'id', 'table_description': 'A push token of one app installation of the member. A token has one owner.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='Engagement',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('member', fields.ForeignKeyField('fidelio.Member', source_field='member_id', db_constraint=True, to_field='id', related_name='engagements', on_delete=OnDelete.RESTRICT)),
                ('kind', fields.CharEnumField(description='SHARE: SHARE\nREVIEW: REVIEW\nSURVEY: SURVEY', enum_type=EngagementKind, max_length=8)),
                ('reference', fields.CharField(max_length=200)),
                ('score', fields.IntField(null=True, description='0-10 for surveys asking how likely the member is to recommend the shop (NPS).')),
                ('occurred_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('local_date', fields.DateField(description="The day in the member's time zone, for the daily cap.")),
                ('points_awarded', fields.IntField(default=0)),
            ],
            options={'table': 'engagement', 'app': 'fidelio', 'unique_together': (('member', 'kind', 'reference'),), 'indexes': [Index(fields=['member_id', 'kind', 'local_date']), Index(fields=['occurred_at'])], 'pk_attr': 'id', 'table_description': 'A share, review or survey answer, once per (member, kind, reference).'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='MemberBadge',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('member', fields.ForeignKeyField('fidelio.Member', source_field='member_id', db_constraint=True, to_field='id', related_name='badges', on_delete=OnDelete.CASCADE)),
                ('badge', fields.ForeignKeyField('fidelio.Badge', source_field='badge_id', db_constraint=True, to_field='id', related_name='holders', on_delete=OnDelete.CASCADE)),
                ('earned_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'member_badge', 'app': 'fidelio', 'unique_together': (('member', 'badge'),), 'pk_attr': 'id', 'table_description': 'A badge a member earned, once.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='OutboxEvent',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('kind', fields.CharField(max_length=64)),
                ('payload', fields.JSONField(encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('available_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('attempts', fields.IntField(default=0)),
                ('processed_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('last_error', fields.TextField(null=True, unique=False)),
            ],
            options={'table': 'outbox_event', 'app': 'fidelio', 'indexes': [Index(fields=['processed_at', 'available_at'])], 'pk_attr': 'id', 'table_description': 'A domain event waiting for (or done with) delivery to its handlers.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='PointsEntry',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('member', fields.ForeignKeyField('fidelio.Member', source_field='member_id', db_constraint=True, to_field='id', related_name='points_entries', on_delete=OnDelete.RESTRICT)),
                ('kind', fields.CharEnumField(description='EARN: EARN\nBONUS: BONUS\nREFERRAL: REFERRAL\nENGAGEMENT: ENGAGEMENT\nREDEEM: REDEEM\nREVERSAL: REVERSAL\nEXPIRE: EXPIRE\nADJUST: ADJUST', enum_type=EntryKind, max_length=12)),
                ('delta', fields.IntField(description='Positive for credits, negative for debits.')),
                ('remaining', fields.IntField(default=0, description='Credits: the part of the lot not yet consumed by debits. Debits: always 0.')),
                ('shortfall', fields.IntField(default=0, description='Debits: points that could not be taken because the balance did not hold them')),
                ('description', fields.CharField(max_length=200)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('available_at', fields.DatetimeField(null=True, description='Credits: when the points become spendable (end of the return window).', auto_now=False, auto_now_add=False)),
                ('expires_at', fields.DatetimeField(null=True, description='Credits: when unspent points expire (null: never).', auto_now=False, auto_now_add=False)),
                ('reference', fields.CharField(null=True, description='What the entry is about, e.g. "order:A-1001", "redemption:17".', max_length=160)),
                ('actor', fields.CharField(null=True, description='Who made a manual adjustment.', max_length=160)),
            ],
            options={'table': 'points_entry', 'app': 'fidelio', 'indexes': [Index(fields=['member_id', 'id']), Index(fields=['member_id', 'remaining']), Index(fields=['reference'])], 'pk_attr': 'id'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='PointsAllocation',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('debit', fields.ForeignKeyField('fidelio.PointsEntry', source_field='debit_id', db_constraint=True, to_field='id', related_name='allocations', on_delete=OnDelete.RESTRICT)),
                ('credit', fields.ForeignKeyField('fidelio.PointsEntry', source_field='credit_id', db_constraint=True, to_field='id', related_name='consumptions', on_delete=OnDelete.RESTRICT)),
                ('points', fields.IntField()),
            ],
            options={'table': 'points_allocation', 'app': 'fidelio', 'pk_attr': 'id', 'table_description': '`points` of credit `credit` consumed by debit `debit`.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='Purchase',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('order_id', fields.CharField(unique=True, max_length=128)),
                ('member', fields.ForeignKeyField('fidelio.Member', source_field='member_id', db_constraint=True, to_field='id', related_name='purchases', on_delete=OnDelete.RESTRICT)),
                ('amount', fields.DecimalField(max_digits=14, decimal_places=2)),
                ('refunded_amount', fields.DecimalField(default=0, max_digits=14, decimal_places=2)),
                ('currency', fields.CharField(max_length=3)),
                ('channel', fields.CharEnumField(description='APP: APP\nWEB: WEB\nSTORE: STORE', enum_type=Channel, max_length=8)),
                ('store_code', fields.CharField(null=True, max_length=64)),
                ('occurred_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('recorded_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('points_earned', fields.IntField(default=0)),
                ('categories', fields.JSONField(default=list, description='Distinct item categories, for rules and segments.', encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('items', fields.JSONField(default=list, description='[{sku, category, quantity, unitPrice}] as sent by the shop.', encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
            ],
            options={'table': 'purchase', 'app': 'fidelio', 'indexes': [Index(fields=['member_id', 'occurred_at']), Index(fields=['occurred_at'])], 'pk_attr': 'id', 'table_description': 'An order the shop recorded, once per order id, with the points it earned.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='Refund',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('refund_id', fields.CharField(unique=True, max_length=128)),
                ('purchase', fields.ForeignKeyField('fidelio.Purchase', source_field='purchase_id', db_constraint=True, to_field='id', related_name='refunds', on_delete=OnDelete.RESTRICT)),
                ('amount', fields.DecimalField(max_digits=14, decimal_places=2)),
                ('points_reversed', fields.IntField(default=0)),
                ('points_shortfall', fields.IntField(default=0, description='Points that could not be taken back because they were already spent.')),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'refund', 'app': 'fidelio', 'pk_attr': 'id', 'table_description': 'A refund of part or all of a purchase, once per refund id.'},
            bases=['Model'],
        ),
    ]
