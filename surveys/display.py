"""How a figure or a date is shown, on a page or in an email: the one rounding rule and
the one date format (every template filter of figures and dates calls these).

Rounding: half away from zero (2.5 -> 3, -2.5 -> -3, 12.5% -> 13%), once, from the
exact value; a figure is never rounded twice (85.45% shows as 85%, not 85.5% then 86%).
Figures are kept exact (counts, fractions of counts) until they are shown.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction
from functools import lru_cache

from django.core.signals import setting_changed
from django.dispatch import receiver
from django.utils import formats, numberformat, timezone
from django.utils.translation import get_language, ngettext

# "3 Mar 2026": every date a staff member reads carries its year.
DATE_FORMAT = "j M Y"
DATE_WEEKDAY_FORMAT = "D j M Y"
DATE_TIME_FORMAT = "j M Y H:i"


def _exact(value) -> Fraction:
    if isinstance(value, float):
        # A ratio of counts arrives as the nearest float; its shortest repr is the exact
        # decimal whenever that decimal is short, as every half-way case of a ratio of
        # counts is (47/55 -> 0.8545454545454545, 1/8 -> 0.125, 29/200 -> 0.145).
        return Fraction(Decimal(repr(value)))
    return Fraction(value)


def rounded(value, digits: int = 0) -> Decimal | None:
    """`value` rounded half away from zero to `digits` decimals; None stays None."""
    if value is None:
        return None
    if isinstance(value, (int, float, Decimal)):
        # Decimal's ROUND_HALF_UP is half away from zero; from the exact decimal (_exact's
        # rule for floats), and four times quicker than the fractions below (pages show
        # hundreds of figures).
        exact = Decimal(repr(value)) if isinstance(value, float) else Decimal(value)
        shown = exact.quantize(_STEPS[digits] if digits in _STEPS else Decimal(1).scaleb(-digits), ROUND_HALF_UP)
        return shown if shown else Decimal(0).scaleb(-digits)  # no "-0"
    scaled = _exact(value) * 10**digits
    whole = int(abs(scaled) + Fraction(1, 2))  # floor(|x| + 1/2): half away from zero
    if scaled < 0:
        whole = -whole
    return Decimal(whole).scaleb(-digits) if whole else Decimal(0).scaleb(-digits)


_STEPS = {digits: Decimal(1).scaleb(-digits) for digits in range(4)}


def number_shown(value, digits: int = 0, *, sign: bool = False) -> str:
    """The text of a figure: rounded once, in the active language ("12.5", "12,5"); "—"
    for None. `sign`: "+3" and "-3" ("0" has none)."""
    value = rounded(value, digits)
    if value is None:
        return "—"
    decimal_separator, grouping, thousand_separator = _separators(get_language())
    text = numberformat.format(value, decimal_separator, digits, grouping, thousand_separator)
    return f"+{text}" if sign and value > 0 else text


@lru_cache(maxsize=16)
def _separators(language: str | None) -> tuple:
    """The language's number format, as formats.number_format reads it (a page shows
    hundreds of figures; asking for the three formats each time cost more than the rest)."""
    return tuple(formats.get_format(name, language) for name in ("DECIMAL_SEPARATOR", "NUMBER_GROUPING",
                                                                 "THOUSAND_SEPARATOR"))


@receiver(setting_changed)
def _separators_forget(*, setting, **kwargs) -> None:
    if setting in {"LANGUAGE_CODE", "LANGUAGES", "USE_THOUSAND_SEPARATOR", "DECIMAL_SEPARATOR", "NUMBER_GROUPING",
                   "THOUSAND_SEPARATOR", "FORMAT_MODULE_PATH"}:
        _separators.cache_clear()


def percent_shown(share, digits: int = 0) -> str:
    """A share (0..1) as a percentage: 47/55 -> "85%", 1/8 -> "13%"; "—" for None."""
    if share is None:
        return "—"
    if isinstance(share, (int, float, Decimal)):
        # As a Decimal: exact (a float's shortest decimal has at most 17 digits, Decimal
        # keeps 28), and rounded on rounded()'s quick path.
        exact = (Decimal(repr(share)) if isinstance(share, float) else Decimal(share)) * 100
        return number_shown(exact, digits) + "%"
    return number_shown(_exact(share) * 100, digits) + "%"


def date_shown(value: date | datetime | None, *, weekday: bool = False, time: bool = False) -> str:
    """A date (or a moment, in the site's time zone) with its year: "3 Mar 2026",
    "Tue 3 Mar 2026", "3 Mar 2026 14:05"; "" for None."""
    if value is None or value == "":
        return ""
    if isinstance(value, datetime):
        if timezone.is_aware(value):
            value = timezone.localtime(value)
        if time:
            return formats.date_format(value, DATE_TIME_FORMAT)
        value = value.date()
    return formats.date_format(value, DATE_WEEKDAY_FORMAT if weekday else DATE_FORMAT)


def days_shown(days: int | None) -> str:
    """A number of days: "1 day", "9 days"; "" for None."""
    if days is None:
        return ""
    return ngettext("%(n)d day", "%(n)d days", days) % {"n": days}
