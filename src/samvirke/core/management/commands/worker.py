"""`samvirke worker`: run background tasks, and enqueue the periodic jobs when they are due.

The django-tasks-db worker (`db_worker`) does the running; this command adds the schedule: each
periodic job is enqueued when the worker starts and every `--schedule-every` seconds after,
unless one is already waiting or running, so several workers do not pile up copies.
"""

from __future__ import annotations

import logging
import os
import time
from argparse import ArgumentParser
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db.models import Q
from django.utils import timezone
from django.utils.autoreload import DJANGO_AUTORELOAD_ENV, run_with_reloader
from django.utils.module_loading import import_string
from django_tasks import TaskResultStatus
from django_tasks.base import Task
from django_tasks_db.management.commands import db_worker
from django_tasks_db.models import DBTaskResult
from django_tasks_db.utils import exclusive_transaction

#: Jobs every worker keeps scheduled (dotted paths: core does not import the domain apps).
PERIODIC_TASKS = [
    "samvirke.baseline.tasks.run_daily",
    "samvirke.benchmarking.tasks.build_pending_releases",
]
#: A job marked running for longer than this is taken to have died with its worker.
STALE_RUNNING = timedelta(hours=2)

logger = logging.getLogger("samvirke.worker")


def enqueue_if_idle(task: Task[Any, Any], backend_name: str) -> bool:
    """Enqueue the task unless a copy of it is waiting or (recently) running."""
    live = Q(status=TaskResultStatus.READY) | Q(
        status=TaskResultStatus.RUNNING, started_at__gte=timezone.now() - STALE_RUNNING
    )
    pending = DBTaskResult.objects.filter(
        live, task_path=task.module_path, backend_name=backend_name
    )
    # Exclusive on SQLite, so two workers starting together cannot both see "idle".
    with exclusive_transaction(DBTaskResult.objects.db):
        if pending.exists():
            return False
        task.using(backend=backend_name).enqueue()
    return True


class SchedulingWorker(db_worker.Worker):
    """The django-tasks-db worker, enqueueing the periodic jobs between drains of the queue."""

    def __init__(self, *, schedule_every: float | None, keep_running: bool, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.schedule_every = schedule_every
        self.keep_running = keep_running
        self.next_schedule = 0.0

    def schedule(self) -> None:
        """Enqueue each periodic job that is not already queued, when the schedule says so."""
        if self.schedule_every is None or time.monotonic() < self.next_schedule:
            return
        self.next_schedule = time.monotonic() + self.schedule_every
        for path in PERIODIC_TASKS:
            queued = enqueue_if_idle(import_string(path), self.backend_name)
            logger.info("%s %s", "Enqueued" if queued else "Already queued or running:", path)

    def run(self) -> None:
        """Schedule, drain the queue (the parent's batch mode), wait, and again until stopped."""
        self.batch = True
        while self.running:
            self.schedule()
            super().run()
            self.startup_delay = False
            done = self.max_tasks is not None and self._run_tasks >= self.max_tasks
            if done or not self.keep_running:
                return
            time.sleep(self.interval)


class Command(db_worker.Command):
    help = (
        "Run Samvirke's background tasks (reminders, closing campaigns at their deadline) and "
        "enqueue the periodic job when it is due. Takes every option of db_worker."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        super().add_arguments(parser)
        parser.add_argument(
            "--once",
            action="store_true",
            help="Enqueue the periodic job, run the queue until it is empty, then exit (cron).",
        )
        parser.add_argument(
            "--schedule-every",
            type=db_worker.valid_interval,
            default=3600,
            help="Seconds between enqueueing the periodic job (default: %(default)s).",
        )

    def configure_logging(self, verbosity: int) -> None:
        """The worker's own lines at INFO; django-tasks-db's per-drain chatter only at -v 2."""
        super().configure_logging(verbosity)
        levels = {0: logging.CRITICAL, 1: logging.INFO}
        for name in ("samvirke", "samvirke.worker"):
            logging.getLogger(name).setLevel(levels.get(verbosity, logging.DEBUG))
        if not logger.hasHandlers():
            logger.addHandler(logging.StreamHandler(self.stdout))
        if verbosity < 2:
            db_worker.logger.setLevel(logging.WARNING)

    def handle(self, *args: Any, **options: Any) -> None:
        once, schedule_every = options["once"], options["schedule_every"]
        self.configure_logging(options["verbosity"])
        if not getattr(settings, "SITE_URL", ""):
            logger.warning("SAMVIRKE_SITE_URL is not set: links in e-mails will be paths only.")
        worker = SchedulingWorker(
            schedule_every=None if options["batch"] else schedule_every,
            keep_running=not (once or options["batch"]),
            queue_names=options["queue_name"].split(","),
            excluded_queue_names=[q for q in options["exclude_queues"].split(",") if q],
            interval=options["interval"],
            batch=True,
            backend_name=options["backend_name"],
            startup_delay=options["startup_delay"] and not once,
            max_tasks=options["max_tasks"],
            worker_id=options["worker_id"],
        )
        logger.info(
            "Samvirke worker %s started (%s)",
            worker.worker_id,
            "once" if once else f"periodic job every {schedule_every:g} s",
        )
        if options["reload"] and worker.keep_running:
            if os.environ.get(DJANGO_AUTORELOAD_ENV) == "true":
                worker.configure_signals()  # in the reloaded child only, as db_worker does
            run_with_reloader(worker.run)
        else:
            if worker.keep_running:
                worker.configure_signals()  # finish the task in hand on SIGTERM (systemd stop)
            worker.run()
        logger.info("Samvirke worker %s stopped", worker.worker_id)
