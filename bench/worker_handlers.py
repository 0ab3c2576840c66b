"""The worker's CPU per answer, handler by handler, on a data set of bench/dashboards.py.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/pulse_bench .venv/bin/python bench/worker_handlers.py \
        [--answers 100k|1m|10m] [--count 400]

In-process, one outbox row at a time: `--count` unanswered invitations of the data set are
answered (scores 0-10 in turn, so 7 in 11 are detractors whose owner gets an alert email,
written to a scratch folder), then every outbox row they published is run as a worker runs
it (outbox.services.outbox_deliver). Per handler: the rows, the mean and median CPU of this
process per row (time.process_time: PostgreSQL's own CPU is not in it; answer_load.py
--worker measures that), and the CPU per answer. The first 20 answers warm the process
(its word lists, templates and compiled queries) and are not counted, as a worker that has
run for a while. The answers stay in the data set, as answer_load.py's do. Prints the
commit, the data size and the load average before and after.
"""

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench._dataset import SIZES, dataset_database  # noqa: E402
from bench._scratch import run_context, table  # noqa: E402

WARM = 20
REASONS = ("The delivery was late again", "Great service from Anna", "Too expensive for what we get", "",
           "Leveringen kom for sent", "Fakturaen var forkert")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--answers", choices=SIZES, default="1m")
    parser.add_argument("--count", type=int, default=400)
    args = parser.parse_args()
    dataset_database(args.answers)
    os.environ.setdefault("SECRET_KEY", "bench-secret-key-" + "w" * 40)
    os.environ["REDIS_URL"] = ""  # no broker needed: the rows are run here, one by one
    os.environ["VAR_DIR"] = tempfile.mkdtemp(prefix="pulse-worker-handlers-")

    import django

    django.setup()
    from datetime import timedelta

    from django.conf import settings
    from django.db import connection
    from django.utils import timezone

    from feedback.answering import response_submit
    from outbox.models import Message
    from outbox.services import outbox_deliver
    from surveys.models import Invitation
    from surveys.tokens import token_for_nonce, token_pairs_new

    settings.CELERY_TASK_ALWAYS_EAGER = False
    from config.celery import app

    app.conf.task_always_eager = False  # the rows wait for this script, not for the commit
    print(run_context("before"))
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM feedback_response")
        answers_before = cursor.fetchone()[0]
    total = WARM + args.count
    invitations = list(
        Invitation.objects.filter(status=Invitation.Status.SENT, response__isnull=True,
                                  expires_at__gt=timezone.now() + timedelta(hours=1)).order_by("pk")[:total]
    )
    if len(invitations) < total:
        sys.exit(f"only {len(invitations)} open unanswered links in the data set")
    for invitation, (nonce, digest) in zip(invitations, token_pairs_new(total), strict=True):
        invitation.token_nonce, invitation.token_hash = nonce, digest
    Invitation.objects.bulk_update(invitations, ["token_nonce", "token_hash"], batch_size=1000)

    cpu: dict[str, list[float]] = {}
    for i, invitation in enumerate(invitations):
        first = Message.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
        response_submit(token=token_for_nonce(invitation.token_nonce), score=i % 11,
                        reason=REASONS[i % len(REASONS)])
        rows = list(Message.objects.filter(pk__gt=first, done_at__isnull=True).order_by("pk")
                    .values_list("pk", "handler"))
        for message_id, handler in rows:
            started = time.process_time()
            if not outbox_deliver(message_id=message_id):
                sys.exit(f"outbox row {message_id} ({handler}) failed")
            if i >= WARM:
                cpu.setdefault(handler, []).append(time.process_time() - started)

    table_rows = []
    for handler, seconds in cpu.items():
        table_rows.append((handler, len(seconds), f"{statistics.mean(seconds) * 1000:.2f}",
                           f"{statistics.median(seconds) * 1000:.2f}", f"{sum(seconds) / args.count * 1000:.2f}"))
    every = sum(sum(seconds) for seconds in cpu.values())
    table_rows.append(("all", sum(len(s) for s in cpu.values()), "", "", f"{every / args.count * 1000:.2f}"))
    print(f"\n{args.count:,} answers (after {WARM} to warm up), their outbox rows run one at a time in this process\n")
    print(table(table_rows, ("handler", "rows", "cpu ms mean", "cpu ms median", "cpu ms per answer")))
    print(f"\ndata: {args.answers} data set, {answers_before:,} answers before the run (the answers stay in it)")
    print(run_context("after"))


if __name__ == "__main__":
    main()
