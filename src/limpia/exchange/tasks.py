"""Tasks run by the job worker (`limpia worker`)."""

from django_tasks import task

from limpia.exchange import jobs


@task()
def run_import_job(job_id: str) -> str:
    return jobs.run(job_id)
