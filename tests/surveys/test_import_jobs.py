"""The upload page's jobs (surveys.book_import_jobs): queued, run by the worker with their
progress committed as they go, all-or-nothing as the import always was."""

from datetime import timedelta

import pytest
from django.db import connection, transaction
from django.test import TestCase
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from surveys import book_import_jobs
from surveys.book_import import PROGRESS_EVERY, book_csv
from surveys.book_import_jobs import PROBLEMS_KEPT, import_job_queue, import_job_read, import_job_run, import_job_shown
from surveys.models import Account, AuditEntry, Contact, ImportJob, User
from surveys.tasks import import_job_run as import_job_run_task
from tests.polling import wait_for
from tests.surveys.test_book_import import book_snapshot, good_rows, row


def many_rows(n: int) -> list[dict]:
    return [row(account_id=f"ACC-{i // 4}", account_name=f"Account {i // 4}",
                contact_email=f"c{i}@customer{i // 4}.test") for i in range(n)]


def queued(admin_user, data: bytes, *, dry_run=False) -> ImportJob:
    return ImportJob.objects.create(data=data, file_name="c.csv", dry_run=dry_run, created_by=admin_user)


def test_a_job_reports_its_progress_as_it_checks_the_rows(admin_user):
    n = 2 * PROGRESS_EVERY + 500
    job = queued(admin_user, book_csv(many_rows(n)))
    with CaptureQueriesContext(connection) as queries:
        import_job_run(job_id=job.pk)
    # Each step of progress is its own UPDATE of the job (autocommitted in the worker).
    steps = [q["sql"] for q in queries.captured_queries
             if q["sql"].startswith('UPDATE "surveys_importjob" SET "processed"')]
    assert len(steps) == 3
    expected = [PROGRESS_EVERY, 2 * PROGRESS_EVERY, n]
    assert all(f'"processed" = {done},' in sql for sql, done in zip(steps, expected, strict=True))
    job.refresh_from_db()
    assert (job.status, job.stage, job.processed, job.total) == ("done", "", n, n)
    assert job.summary["contacts_created"] == n and Contact.objects.count() == n
    assert job.started_at and job.finished_at and bytes(job.data) == b""
    assert AuditEntry.objects.get(event="customer_book_imported").actor == admin_user


def test_a_check_counts_what_would_change_and_changes_nothing(admin_user):
    job = queued(admin_user, book_csv(good_rows()))
    import_job_run(job_id=job.pk)  # the book as it is
    changed = good_rows()
    changed[0]["contact_name"] = "Karen K. Jensen"
    changed.append(row(contact_email="new@nordicfreight.dk", contact_name="New Person"))
    before, users, entries = book_snapshot(), User.objects.count(), AuditEntry.objects.count()

    check = queued(admin_user, book_csv(changed), dry_run=True)
    import_job_run(job_id=check.pk)
    check.refresh_from_db()
    assert check.status == "done"
    assert (check.summary["contacts_created"], check.summary["contacts_updated"],
            check.summary["contacts_unchanged"]) == (1, 1, 2)
    assert (book_snapshot(), User.objects.count(), AuditEntry.objects.count()) == (before, users, entries)


def test_a_check_of_a_new_book_names_the_staff_it_would_create_without_creating_them(admin_user):
    job = queued(admin_user, book_csv(good_rows()), dry_run=True)
    import_job_run(job_id=job.pk)
    job.refresh_from_db()
    assert sorted(s["email"] for s in job.summary["staff_created"]) == [
        "anders.am@pulse.test", "dieter.rm@pulse.test", "greta.am@pulse.test", "rikke.rm@pulse.test"]
    assert {s["pk"] for s in job.summary["staff_created"]} == {None}
    assert User.objects.count() == 1 and Account.objects.count() == 0


def test_a_file_with_bad_rows_fails_with_every_problem_kept_and_changes_nothing(admin_user):
    rows = many_rows(PROBLEMS_KEPT + 20)
    for r in rows:
        r["contact_level"] = "boss"
    before = book_snapshot()
    job = queued(admin_user, book_csv(rows))
    import_job_run(job_id=job.pk)
    job.refresh_from_db()
    assert job.status == "failed" and job.summary == {}
    many = PROBLEMS_KEPT + 20
    assert (job.problem_count, job.bad_lines, len(job.problems)) == (many, many, PROBLEMS_KEPT)
    assert job.problems[0] == [2, "contact_level", "unknown level 'boss' (use executive, manager or operational)"]
    assert book_snapshot() == before and bytes(job.data) == b""


def test_a_job_that_breaks_half_way_is_reported_failed_and_imports_nothing(admin_user, monkeypatch):
    write = book_import_jobs.book_rows_write

    def write_then_break(rows, **kwargs):
        with transaction.atomic():  # as the writer's own transaction: what it wrote goes with it
            write(rows[:1], **kwargs)
            raise RuntimeError("the disk is full")

    monkeypatch.setattr(book_import_jobs, "book_rows_write", write_then_break)
    job = queued(admin_user, book_csv(good_rows()))
    import_job_run(job_id=job.pk)
    job.refresh_from_db()
    assert job.status == "failed" and job.error == "The import stopped (RuntimeError); nothing was imported."
    assert Account.objects.count() == 0 and Contact.objects.count() == 0


def test_a_job_runs_once_even_when_its_task_is_delivered_again(admin_user):
    job = queued(admin_user, book_csv(good_rows()))
    assert import_job_run(job_id=job.pk).status == "done"
    assert import_job_run(job_id=job.pk) is None
    ImportJob.objects.filter(pk=job.pk).update(status="running", finished_at=None)
    assert import_job_run(job_id=job.pk) is None  # someone else's, still within its time


def test_a_job_lost_with_its_worker_is_taken_up_again(admin_user):
    now = timezone.now()
    job = queued(admin_user, book_csv(good_rows()))
    ImportJob.objects.filter(pk=job.pk).update(status="running", started_at=now - timedelta(hours=1))
    assert import_job_run(job_id=job.pk, now=now).status == "done"


def test_the_task_runs_the_job(admin_user):
    job = queued(admin_user, book_csv(good_rows()))
    import_job_run_task.delay(job.pk)  # in-process in the tests
    assert ImportJob.objects.get(pk=job.pk).status == "done"


def test_queueing_hands_the_job_to_the_worker_after_the_commit(admin_user):
    with TestCase.captureOnCommitCallbacks(execute=True) as callbacks:
        job = import_job_queue(data=book_csv(good_rows()), file_name="c.csv", dry_run=False, by=admin_user)
        assert ImportJob.objects.get(pk=job.pk).status == "queued"
    assert len(callbacks) == 1
    assert ImportJob.objects.get(pk=job.pk).status == "done" and Contact.objects.count() == 3


def test_the_page_shows_the_newest_job_until_read_and_reading_clears_the_older_ones(admin_user):
    first = ImportJob.objects.create(created_by=admin_user, status="done")
    second = ImportJob.objects.create(created_by=admin_user, status="failed")
    running = ImportJob.objects.create(created_by=admin_user, status="running")
    assert import_job_shown() == running
    assert import_job_read(job=running, by=admin_user) == 0  # not finished
    running.delete()
    assert import_job_shown() == second
    assert import_job_read(job=second, by=admin_user) == 2
    assert import_job_shown() is None
    first.refresh_from_db()
    assert first.read_by == admin_user


@pytest.mark.broker
def test_a_real_worker_imports_an_uploaded_file(celery_worker_process, admin_user):
    celery_worker_process()
    with transaction.atomic():
        job = import_job_queue(data=book_csv(many_rows(3000)), file_name="c.csv", dry_run=False, by=admin_user)
    wait_for("the worker to finish the import", lambda: ImportJob.objects.get(pk=job.pk).finished, timeout=120,
             describe=lambda: str(ImportJob.objects.values("status", "stage", "processed", "total").get(pk=job.pk)))
    job.refresh_from_db()
    assert (job.status, job.processed, job.total) == ("done", 3000, 3000)
    assert Contact.objects.count() == 3000
