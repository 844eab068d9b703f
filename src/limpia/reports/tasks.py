"""Tasks run by the job worker (`limpia worker`)."""

from django_tasks import task

from limpia.reports import stored


@task()
def render_stored_report(row_id: int) -> str:
    return stored.run(row_id)
