"""Fleet changes run as tasks: one FleetChangeTarget row per gateway (its preview, then its result)."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


def targets_from_results(apps, schema_editor):
    FleetChange = apps.get_model("controlpanel", "FleetChange")
    Target = apps.get_model("controlpanel", "FleetChangeTarget")
    Revision = apps.get_model("controlpanel", "ConfigRevision")
    for fleet in FleetChange.objects.all():
        refused = fleet.status == "refused"
        for gateway in fleet.gateways.all():
            result = dict(fleet.results.get(str(gateway.code)) or {})
            outcome = str(result.pop("outcome", "") or "")
            number = result.pop("revision", None)
            revision = Revision.objects.filter(gateway=gateway, number=number).first() if number else None
            if fleet.status == "previewed":
                status = "previewed"
            elif outcome == "saved" and revision is not None:
                status = "saved"
            elif outcome == "unchanged":
                status = "unchanged"
            else:
                status = "not_saved"
            Target.objects.create(
                fleet=fleet,
                gateway=gateway,
                name=result.pop("name", "") or gateway.name,
                status=status,
                base_hash=fleet.base_hashes.get(str(gateway.code), ""),
                preview=result,
                outcome="" if status in ("saved", "unchanged", "previewed") else outcome,
                revision=revision if status == "saved" else None,
                finished_at=fleet.applied_at or fleet.created_at,
            )
        if refused:
            fleet.status = "applied"
            fleet.applied_at = fleet.applied_at or fleet.created_at
            fleet.save(update_fields=["status", "applied_at"])


class Migration(migrations.Migration):
    dependencies = [
        ("controlpanel", "0014_gateway_leases"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name="FleetChangeTarget",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("name", models.CharField(max_length=100)),
                (
                    "status",
                    models.CharField(
                        choices=[
                            ("previewing", "Being previewed"),
                            ("previewed", "Previewed"),
                            ("applying", "Being applied"),
                            ("saved", "Saved"),
                            ("unchanged", "Nothing to change"),
                            ("not_saved", "Not saved"),
                        ],
                        default="previewing",
                        max_length=10,
                    ),
                ),
                ("base_hash", models.CharField(blank=True, max_length=64)),
                ("preview", models.JSONField(blank=True, default=dict)),
                ("outcome", models.TextField(blank=True)),
                ("task_id", models.CharField(blank=True, max_length=64)),
                ("finished_at", models.DateTimeField(blank=True, null=True)),
            ],
            options={
                "ordering": ["name", "pk"],
            },
        ),
        migrations.AddField(
            model_name="fleetchangetarget",
            name="fleet",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.CASCADE,
                related_name="targets",
                to="controlpanel.fleetchange",
            ),
        ),
        migrations.AddField(
            model_name="fleetchangetarget",
            name="gateway",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.CASCADE, related_name="+", to="controlpanel.gateway"
            ),
        ),
        migrations.AddField(
            model_name="fleetchangetarget",
            name="push",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.SET_NULL,
                related_name="+",
                to="controlpanel.gatewayconfigpush",
            ),
        ),
        migrations.AddField(
            model_name="fleetchangetarget",
            name="revision",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.SET_NULL,
                related_name="+",
                to="controlpanel.configrevision",
            ),
        ),
        migrations.AddConstraint(
            model_name="fleetchangetarget",
            constraint=models.UniqueConstraint(
                fields=("fleet", "gateway"), name="cp_fleettarget_one_per_gateway"
            ),
        ),
        migrations.AddConstraint(
            model_name="fleetchangetarget",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    ("status__in", ["previewing", "previewed", "applying", "saved", "unchanged", "not_saved"])
                ),
                name="cp_fleettarget_status_valid",
            ),
        ),
        migrations.AddConstraint(
            model_name="fleetchangetarget",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    models.Q(("status", "saved"), _negated=True), ("revision__isnull", False), _connector="OR"
                ),
                name="cp_fleettarget_saved_has_revision",
            ),
        ),
        # Each gateway's preview and result move from the JSON blob to their own row; a change that
        # was refused (all or nothing, before) is an applied one whose gateways were not saved.
        migrations.RunPython(targets_from_results, migrations.RunPython.noop),
        migrations.RemoveConstraint(
            model_name="fleetchange",
            name="cp_fleetchange_status_valid",
        ),
        migrations.RemoveField(
            model_name="fleetchange",
            name="base_hashes",
        ),
        migrations.RemoveField(
            model_name="fleetchange",
            name="gateways",
        ),
        migrations.RemoveField(
            model_name="fleetchange",
            name="results",
        ),
        migrations.AlterField(
            model_name="fleetchange",
            name="status",
            field=models.CharField(
                choices=[("previewed", "Preview"), ("applied", "Applied")], default="previewed", max_length=10
            ),
        ),
        migrations.AddConstraint(
            model_name="fleetchange",
            constraint=models.CheckConstraint(
                condition=models.Q(("status__in", ["previewed", "applied"])),
                name="cp_fleetchange_status_valid",
            ),
        ),
    ]
