"""Signals of the customer book, for apps above surveys that keep their own summaries by
owner and region (surveys may not import them: apps depend one way)."""

from django.dispatch import Signal

# Sent by surveys.tallies.accounts_moved inside the transaction that moves the accounts,
# their rows locked: moves = {account id: ((old owner, old region), (new owner, new
# region), or None when the account is about to be deleted)}.
accounts_moved = Signal()

# Sent by surveys.revenue_tallies.accounts_revenue_refresh inside the transaction of the
# event, for the accounts whose owner, region, active flag or revenue changed since their
# revenue was last counted (or which are about to be deleted): pairs = {account id:
# (owner, region) as of this event, or None for an account about to be deleted}.
accounts_revenue_changed = Signal()

# Sent by surveys.tallies inside the transaction of the event, last, for the accounts whose
# AccountSummary row changed in what an app above may keep per account (the answer counts,
# the windows, the executives' silence): account_ids = [account id, ...].
account_summaries_changed = Signal()
