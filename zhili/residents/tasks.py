"""Background work of the registry."""

from __future__ import annotations

from django_tasks import task

from zhili.residents.importing import run_job


@task()
def run_import(job_id: int) -> None:
    """Validate and import an uploaded workbook (100,000 rows take about a minute). Safe to run twice."""
    run_job(job_id)
