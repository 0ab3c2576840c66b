"""Signals of the customer book, for apps above surveys that keep their own summaries by
owner and region (surveys may not import them: apps depend one way)."""

from django.dispatch import Signal

# Sent by surveys.tallies.accounts_moved inside the transaction that moves the accounts,
# their rows locked: moves = {account id: ((old owner, old region), (new owner, new
# region), or None when the account is about to be deleted)}.
accounts_moved = Signal()
