"""The upload page's imports: a customer file queued as an ImportJob, imported (or only
checked) by the worker, its progress and result kept on the job for the page.

The job's row is written in small transactions of its own (claimed, rows checked so
far, finished), so the page polling it sees them; the import itself stays one
transaction (surveys.book_import.book_rows_write): a file with a bad row, or a job that
fails half-way, changes nothing. Progress counts the rows checked; writing them is one
step, shown as such.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from .book_import import (
    BookFileInvalid,
    ImportSummary,
    book_file_parse,
    book_file_precheck,
    book_rows_check,
    book_rows_write,
)
from .models import ImportJob, Role, User

log = logging.getLogger(__name__)

# A job's result keeps this many problems; `manage.py import_customers FILE.csv` lists them all.
PROBLEMS_KEPT = 500
# A job running this long was lost with its worker (the task's time limit is shorter):
# a redelivered task may take it up again.
STALE_AFTER = timedelta(minutes=40)


def import_job_queue(*, data: bytes, file_name: str, dry_run: bool, by: User) -> ImportJob:
    """Queue a customer file for the worker. What can be told at once (empty, not a CSV
    file, not UTF-8, not the customer file's header) raises BookFileInvalid and queues nothing."""
    book_file_precheck(data)
    job = ImportJob.objects.create(data=data, file_name=file_name[:255], dry_run=dry_run, created_by=by)
    transaction.on_commit(lambda: _enqueue(job.pk))
    return job


def _enqueue(job_id: int) -> None:
    from kombu.exceptions import OperationalError as BrokerUnreachable

    from .tasks import import_job_run as task

    try:
        task.delay(job_id)
    except BrokerUnreachable as error:
        log.error("customer import %s not queued: %s", job_id, error)
        ImportJob.objects.filter(pk=job_id, status=ImportJob.Status.QUEUED).update(
            status=ImportJob.Status.FAILED, finished_at=timezone.now(), data=b"",
            error="The job could not be handed to the worker (the queue is unreachable). Nothing was "
                  "imported; upload the file again in a moment.",
        )


def import_job_run(*, job_id: int, now: datetime | None = None) -> ImportJob | None:
    """Run a queued job: check every row, then import them in one transaction (or, for a
    check, count what would change). None when the job is not there to run (done, or
    taken by another worker)."""
    now = now or timezone.now()
    waiting = Q(status=ImportJob.Status.QUEUED) | Q(status=ImportJob.Status.RUNNING, started_at__lt=now - STALE_AFTER)
    claimed = ImportJob.objects.filter(waiting, pk=job_id).update(
        status=ImportJob.Status.RUNNING, started_at=now, stage="checking", processed=0,
    )
    if not claimed:
        return None
    job = ImportJob.objects.get(pk=job_id)
    jobs = ImportJob.objects.filter(pk=job_id)

    def progress(stage: str, done: int, total: int) -> None:
        if stage == "validated":  # the writing stages run inside the import's transaction
            jobs.update(processed=done, total=max(total, done))

    result: dict = {"status": ImportJob.Status.FAILED}
    try:
        rows = book_file_parse(bytes(job.data), progress=progress)
        jobs.update(stage="writing", processed=len(rows), total=len(rows))
        summary = book_rows_check(rows) if job.dry_run else book_rows_write(rows, by=job.created_by)
    except BookFileInvalid as invalid:
        result.update(
            problems=[[p.line, p.column, p.reason] for p in invalid.problems[:PROBLEMS_KEPT]],
            problem_count=len(invalid.problems), bad_lines=invalid.bad_lines,
        )
    except Exception as error:  # noqa: BLE001 - the page says it failed; the log has the rest
        log.exception("customer import %s failed", job_id)
        result["error"] = f"The import stopped ({type(error).__name__}); nothing was imported."
    else:
        result.update(status=ImportJob.Status.DONE, summary=_summary_json(summary, dry_run=job.dry_run))
    # The file's data goes with the job's end: the book has what it holds.
    jobs.update(stage="", data=b"", finished_at=timezone.now(), **result)
    return ImportJob.objects.get(pk=job_id)


def _summary_json(summary: ImportSummary, *, dry_run: bool) -> dict:
    def staff(user: User) -> dict:
        # A check rolled its staff back: they have no id to send a link to.
        return {"pk": None if dry_run else user.pk, "email": user.email, "full_name": user.full_name,
                "role": str(Role(user.role).label)}

    return {
        "rows": summary.rows, "accounts": summary.accounts,
        "accounts_created": summary.accounts_created, "accounts_updated": summary.accounts_updated,
        "accounts_unchanged": summary.accounts_unchanged,
        "contacts_created": summary.contacts_created, "contacts_updated": summary.contacts_updated,
        "contacts_unchanged": summary.contacts_unchanged, "contacts_suppressed": summary.contacts_suppressed,
        "regions_created": summary.regions_created, "regions_updated": summary.regions_updated,
        "staff_created": [staff(user) for user in summary.staff_created],
        "staff_updated": summary.staff_updated,
        "staff_promoted": [user.email for user in summary.staff_promoted],
        "accounts_with_revenue": summary.accounts_with_revenue,
    }


def import_job_read(*, job: ImportJob, by: User, now: datetime | None = None) -> int:
    """An administrator has read a finished job's result: it and any older unread result
    leave the page. Returns how many were marked."""
    if not job.finished:
        return 0
    return ImportJob.objects.filter(
        read_at__isnull=True, status__in=[ImportJob.Status.DONE, ImportJob.Status.FAILED], pk__lte=job.pk,
    ).update(read_at=now or timezone.now(), read_by=by)


def import_job_shown() -> ImportJob | None:
    """The job the import page shows: the newest one still running or not yet read (the
    administrators share the book, and so its imports)."""
    return (
        ImportJob.objects.filter(Q(read_at__isnull=True))
        .select_related("created_by").defer("data").order_by("-pk").first()
    )
