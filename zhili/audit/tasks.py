"""Background work of the audit app."""

from __future__ import annotations

from django_tasks import task

from zhili.audit.actions import do_run_chain_verification


@task()
def verify_audit_chain(verification_id: int) -> None:
    """Verify the whole chain for the ChainVerification row ``verification_id`` (a million rows
    take about a minute, too long for a request)."""
    do_run_chain_verification(verification_id)
