"""Thin tasks: call the service (config/celery.py says when beat runs them)."""

from celery import shared_task

from . import personal_data


@shared_task
def personal_data_retention() -> None:
    personal_data.retention_erase()
