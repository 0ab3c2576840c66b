"""The survey program's settings: checked before planning or sending, and changed."""

from datetime import date

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from .models import Program, Wave
from .months import month_add, month_next_to_plan


class WaveError(Exception):
    """A request the survey program cannot honour; the message is for the user."""


def program_for_update() -> Program:
    """The program's row, locked to the end of the transaction; saved with the defaults
    the first time a writer needs it."""
    return Program.objects.select_for_update().order_by("pk").first() or Program.objects.create()


def program_check(program: Program) -> None:
    """Raise WaveError listing every setting out of range (before planning or sending)."""
    try:
        program.full_clean()
    except ValidationError as error:
        problems = [f"{field}: {' '.join(msgs)}" for field, msgs in error.message_dict.items()]
        raise WaveError("The survey program has settings out of range: " + "; ".join(problems))


@transaction.atomic
def program_update(*, fields: dict, today: date | None = None) -> Program:
    """Save validated settings. A new frequency starts a new cycle from the next wave
    not yet sent, so nobody is counted as owed under the old rhythm."""
    program = program_for_update()
    old_frequency = program.frequency
    for name, value in fields.items():
        setattr(program, name, value)
    program.full_clean()
    if program.frequency != old_frequency:
        program.cycle_start = cycle_first_month(today or timezone.localdate())
    program.save()
    return program


def cycle_first_month(today: date) -> date:
    """The first wave a change of frequency applies to: the next month to plan, or the
    month after the last wave that started sending."""
    started = Wave.objects.exclude(status=Wave.Status.PLANNED).order_by("-month").first()
    first = month_next_to_plan(today)
    if started and started.month >= first:
        first = month_add(started.month, 1)
    return first
