"""Tasks run by the job worker (`limpia worker`)."""

from django_tasks import task

from limpia.agreements import dashboard


@task()
def refresh_dashboard() -> int:
    """Today's stored dashboard figures, at the current data revision."""
    return dashboard.refresh()
