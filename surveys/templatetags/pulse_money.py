"""Amounts of money as pages show them: the program's currency code, whole units."""

from decimal import ROUND_HALF_UP, Decimal

from django import template
from django.utils.formats import number_format

register = template.Library()


@register.filter
def money(amount, currency=""):
    """Decimal("1250000.50"), "EUR" -> "EUR 1,250,001": whole units rounded half up, grouped
    as the page's language groups thousands, the ISO code first (unambiguous in every
    language); None (not known) -> "—"."""
    if amount is None or amount == "":
        return "—"
    whole = Decimal(amount).quantize(Decimal(1), rounding=ROUND_HALF_UP)
    text = number_format(whole, 0, force_grouping=True)
    return f"{currency}\u00a0{text}" if currency else text
