"""The default escalation policies (region prefix empty: everywhere until a region adds its own).

紧急 (a press, a fall): the responsible worker; after the wait, the community's on-duty roster;
then the community's administrators and point leads together with the emergency contacts;
then the street's duty phone and street administrators. Twice through.
一般 (low battery, a missed check-in): first a prompt to the elder; then the responsible worker;
then the on-duty roster. Once through."""

from django.db import migrations

HIGH = [("assigned_worker", None), ("roster", None), ("community_leads", 0), ("contacts", None),
        ("street_phone", 0), ("street_admins", None)]
LOW = [("elder", 600), ("assigned_worker", 1800), ("roster", 1800)]


def forwards(apps, schema_editor):
    Policy = apps.get_model("alarms", "EscalationPolicy")
    Step = apps.get_model("alarms", "EscalationStep")
    for name, priority, repeat, steps in (("默认紧急呼叫升级策略", "high", 1, HIGH), ("默认一般提醒升级策略", "low", 0, LOW)):
        policy, created = Policy.objects.get_or_create(region_prefix="", priority=priority,
                                                       defaults={"name": name, "repeat": repeat})
        if created:
            Step.objects.bulk_create([Step(policy=policy, order=i, target=t, wait_s=w) for i, (t, w) in enumerate(steps)])


class Migration(migrations.Migration):
    dependencies = [("alarms", "0001_initial")]
    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
