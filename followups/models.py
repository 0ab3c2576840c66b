"""What we do about it: the call queue, attempts, outcomes (issue: follow-up calls)."""
