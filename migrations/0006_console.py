from tortoise import migrations
from tortoise.migrations import operations as ops
from api.console.models import ConsoleRole
from tortoise.fields.base import OnDelete
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('fidelio', '0005_webhooks')]

    initial = False

    operations = [
        ops.CreateModel(
            name='ConsoleAccount',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('email', fields.CharField(unique=True, description="Lower-cased: the subject of the GraphQL principal and the ledger's `actor`.", max_length=254)),
                ('password_hash', fields.CharField(description='argon2id, in the PHC string format (parameters and salt included).', max_length=200)),
                ('role', fields.CharEnumField(description='ADMIN: admin\nANALYST: analyst', enum_type=ConsoleRole, max_length=16)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('last_sign_in_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'console_account', 'app': 'fidelio', 'pk_attr': 'id', 'table_description': 'A person who signs in to the console, by email, with an argon2id password hash.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='ConsoleSession',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('token_hash', fields.CharField(unique=True, max_length=64)),
                ('account', fields.ForeignKeyField('fidelio.ConsoleAccount', source_field='account_id', db_constraint=True, to_field='id', related_name='sessions', on_delete=OnDelete.CASCADE)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('expires_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('revoked_at', fields.DatetimeField(null=True, description='Set by sign-out (or a password change): the session is refused from then on.', auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'console_session', 'app': 'fidelio', 'pk_attr': 'id', 'table_description': 'A signed-in browser. The cookie holds a random token, only its SHA-256 is stored.'},
            bases=['Model'],
        ),
    ]
