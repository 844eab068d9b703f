"""Uploaded files on object storage (LIMPIA_S3_BUCKET, django-storages): a knowledge centre
document's file goes to the bucket, not to the data directory, is served back by its public
download page, and leaves the bucket with the document. The bucket is moto's in-process S3
(nothing leaves the machine); the storage is configured by conf.s3_storage, as settings.py
does it."""

import io

import boto3
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.urls import reverse
from moto import mock_aws

from limpia.conf import s3_storage
from limpia.knowledge import services
from limpia.knowledge.models import Document

PDF = b"%PDF-1.7\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
BUCKET = "limpia-archivos"


@pytest.fixture
def bucket(settings, monkeypatch, tmp_path):
    for name, value in {
        "AWS_ACCESS_KEY_ID": "prueba",
        "AWS_SECRET_ACCESS_KEY": "prueba",
        "AWS_SESSION_TOKEN": "prueba",
        "LIMPIA_S3_BUCKET": BUCKET,
        "LIMPIA_S3_REGION": "us-east-1",
        "LIMPIA_S3_PREFIX": "/limpia/",
    }.items():
        monkeypatch.setenv(name, value)
    settings.MEDIA_ROOT = tmp_path  # where the files would go without the bucket
    with mock_aws():
        s3 = boto3.client("s3", region_name="us-east-1")
        s3.create_bucket(Bucket=BUCKET)
        settings.STORAGES = {**settings.STORAGES, "default": s3_storage()}
        yield s3


def keys(s3) -> list[str]:
    return [item["Key"] for item in s3.list_objects_v2(Bucket=BUCKET).get("Contents", [])]


def test_an_uploaded_document_is_kept_in_the_bucket_and_served_from_it(
    client, ana, bucket, tmp_path, django_capture_on_commit_callbacks
):
    document = services.document_save(
        acting_user=ana,
        document=Document(kind="study", title="Guía de eficiencia hídrica"),
        upload=SimpleUploadedFile("guia.pdf", PDF, content_type="application/pdf"),
    )
    services.document_publish(acting_user=ana, document=document)

    assert document.file.name == "documents/guia-de-eficiencia-hidrica.pdf"
    assert keys(bucket) == ["limpia/documents/guia-de-eficiencia-hidrica.pdf"]
    stored = bucket.get_object(Bucket=BUCKET, Key="limpia/documents/guia-de-eficiencia-hidrica.pdf")
    assert stored["Body"].read() == PDF
    assert list(tmp_path.rglob("*")) == []  # nothing in the data directory

    response = client.get(reverse("knowledge:download", args=[document.pk]))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert b"".join(response.streaming_content) == PDF

    with django_capture_on_commit_callbacks(execute=True):
        services.document_delete(acting_user=ana, document=document)
    assert keys(bucket) == []


def test_two_documents_of_one_title_get_two_objects(ana, bucket):
    for _ in range(2):
        services.document_save(
            acting_user=ana,
            document=Document(kind="study", title="Informe"),
            upload=SimpleUploadedFile("informe.pdf", PDF),
        )
    stored = keys(bucket)
    assert len(stored) == 2 and "limpia/documents/informe.pdf" in stored


def test_a_backup_says_the_uploads_are_in_the_bucket(bucket, monkeypatch, tmp_path_factory):
    # The archive's writing is test_backup.py's; here, what the command adds with a bucket.
    class Summary:
        def lines(self):
            return []

    monkeypatch.setattr(
        "limpia.core.management.commands.backup.backup_write", lambda path: Summary()
    )
    out = io.StringIO()
    call_command("backup", str(tmp_path_factory.mktemp("copias") / "copia.zip"), stdout=out)
    assert (
        "Uploaded files are in the object storage bucket LIMPIA_S3_BUCKET=limpia-archivos, "
        "not in this archive: back the bucket up with its provider's tools."
    ) in out.getvalue()
