"""Tasks run by the job worker (`limpia worker`)."""

from django_tasks import task

from limpia.plans import snapshots


@task()
def refresh_rollups() -> int:
    """Today's stored rollups of every plan, at the current data revision."""
    return snapshots.refresh()
