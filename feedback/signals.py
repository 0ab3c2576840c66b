"""Signals of the answers, for apps above feedback that keep per-account state (feedback
may not import them: apps depend one way)."""

from django.dispatch import Signal

# Sent inside the answer's transaction when an answer starts or stops counting (a new
# answer, suspect set or lifted), so that the account's latest counted answer may be
# another one: account_id.
answer_counted_changed = Signal()

# Sent inside the transaction that changes an answer's themes (feedback.response_themes),
# for figures kept per theme: response_id, added and removed (sets of Theme ids).
response_themes_changed = Signal()
