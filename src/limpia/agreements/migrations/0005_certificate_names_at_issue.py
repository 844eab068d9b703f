"""Certificates carry the names of their holder and agreement at issue, signed (issue 10, item 5).

The signature used to cover the codes, the tax id and the dates but not the names the
verification page shows, so a company renamed after certification still verified as genuine
under its new name. Each existing certificate whose signature verifies gets today's names (the
best record of the names at issue there is) and a signature over the new content; one whose
signature does not verify keeps it, and stays "not genuine".
"""

from django.db import migrations, models

from limpia.core.signing import sign, verify


def _before(certificate) -> dict:
    facility = certificate.facility
    return {
        "code": certificate.code,
        "agreement": certificate.agreement.code,
        "facility": facility.code,
        "company_tax_id": facility.company.tax_id,
        "company_country": facility.company.country_id,
        "issued_on": certificate.issued_on,
        "valid_until": certificate.valid_until,
    }


def _after(certificate) -> dict:
    return {
        **_before(certificate),
        "agreement_name": certificate.agreement_name,
        "facility_name": certificate.facility_name,
        "company_name": certificate.company_name,
    }


def seal_names(apps, schema_editor):
    Certificate = apps.get_model("agreements", "Certificate")
    certificates = Certificate.objects.select_related("agreement", "facility__company")
    changed = []
    for certificate in certificates.iterator(chunk_size=2000):
        genuine = verify(_before(certificate), certificate.signature)
        certificate.company_name = certificate.facility.company.name
        certificate.facility_name = certificate.facility.name
        certificate.agreement_name = certificate.agreement.name
        if genuine:
            certificate.signature = sign(_after(certificate))
        changed.append(certificate)
    Certificate.objects.bulk_update(
        changed, ["company_name", "facility_name", "agreement_name", "signature"], batch_size=1000
    )


class Migration(migrations.Migration):
    dependencies = [
        ("agreements", "0004_portable_decimals"),
    ]

    operations = [
        *(
            migrations.AddField(
                model_name=model,
                name=name,
                field=models.CharField(default="", max_length=length, verbose_name=label),
                preserve_default=False,
            )
            for model in ("certificate", "historicalcertificate")
            for name, length, label in (
                ("company_name", 300, "company name at issue"),
                ("facility_name", 300, "facility name at issue"),
                ("agreement_name", 400, "agreement name at issue"),
            )
        ),
        migrations.RunPython(seal_names, migrations.RunPython.noop),
    ]
