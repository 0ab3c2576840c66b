"""A theme's name in the reader's language: `{% load pulse_themes %}{{ theme|theme_name }}`."""

from django import template
from django.utils.translation import get_language

register = template.Library()


@register.filter
def theme_name(theme) -> str:
    """A Theme's name in the active language."""
    return theme.name(get_language() or "en")
