from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('fidelio', '0001_initial')]

    initial = False

    operations = [
        ops.CreateModel(
            name='ConfigVersion',
            fields=[
                ('name', fields.CharField(primary_key=True, unique=True, db_index=True, max_length=40)),
                ('version', fields.BigIntField(default=0)),
            ],
            options={'table': 'config_version', 'app': 'fidelio', 'pk_attr': 'name', 'table_description': 'One row per part of the configuration, whose `version` grows with every change of it'},
            bases=['Model'],
        ),
        ops.DeleteModel(name='CatalogueVersion'),
    ]
