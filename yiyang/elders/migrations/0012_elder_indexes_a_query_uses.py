"""Issue 12: the elder table keeps only the indexes a query uses (tests/test_index_plans.py names
the query each one serves; docs/benchmarks.md the plans on both databases). Dropped: ``name``
(searches are ``contains``; the list's order is elder_active_region_name_id), ``birth_date``
(高龄 is a filter inside a list's range), PostgreSQL's varchar_pattern_ops twins of name,
region_code and the blind indexes (no elder query is a prefix LIKE: region_code and the blind
indexes are declared as plain indexes, the ID's uniqueness as a constraint), and the category
links' single-column indexes (the unique (elder, category) and (category, elder) lead with
them)."""


import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('elders', '0011_elder_region_count'),
        ('regions', '0003_region_centre'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.RemoveIndex(
            model_name='elder',
            name='elder_birth',
        ),
        migrations.AlterField(
            model_name='elder',
            name='id_number_bidx',
            field=models.CharField(max_length=32, verbose_name='身份证号索引'),
        ),
        migrations.AlterField(
            model_name='elder',
            name='match_name_birth_bidx',
            field=models.CharField(blank=True, max_length=32, verbose_name='同名同生日索引'),
        ),
        migrations.AlterField(
            model_name='elder',
            name='match_name_phone_bidx',
            field=models.CharField(blank=True, max_length=32, verbose_name='同名同电话索引'),
        ),
        migrations.AlterField(
            model_name='elder',
            name='name',
            field=models.CharField(max_length=50, verbose_name='姓名'),
        ),
        migrations.AlterField(
            model_name='elder',
            name='phone_bidx',
            field=models.CharField(blank=True, max_length=32, verbose_name='联系电话索引'),
        ),
        migrations.AlterField(
            model_name='elder',
            name='region',
            field=models.ForeignKey(db_column='region_code', db_index=False, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='regions.region', verbose_name='所属社区'),
        ),
        migrations.AlterField(
            model_name='eldercategory',
            name='category',
            field=models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='elders.category'),
        ),
        migrations.AlterField(
            model_name='eldercategory',
            name='elder',
            field=models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.CASCADE, related_name='category_links', to='elders.elder'),
        ),
        migrations.AddIndex(
            model_name='elder',
            index=models.Index(fields=['region'], name='elder_region'),
        ),
        migrations.AddIndex(
            model_name='elder',
            index=models.Index(fields=['phone_bidx'], name='elder_phone_bidx'),
        ),
        migrations.AddIndex(
            model_name='elder',
            index=models.Index(fields=['match_name_birth_bidx'], name='elder_match_name_birth'),
        ),
        migrations.AddIndex(
            model_name='elder',
            index=models.Index(fields=['match_name_phone_bidx'], name='elder_match_name_phone'),
        ),
        migrations.AddConstraint(
            model_name='elder',
            constraint=models.UniqueConstraint(fields=('id_number_bidx',), name='elder_id_number_bidx_unique'),
        ),
    ]
