"""Settings for the processes of tests/test_postgres_restart.py: the app's own, as
production runs them (PostgreSQL with persistent connections and health checks, Redis,
SMTP, all set by the environment the test passes), with the crash rules' waits
shortened so that the test sees them come round within its time."""

from config.settings import *  # noqa: F403

# A row a worker left in `sending`, a lease on planned rows, a claimed outbox row:
# seconds, not the ten minutes (two for the outbox) that production waits.
SURVEYS_SENDING_STALE_AFTER = 10
SURVEYS_DISPATCH_LEASE = 10
OUTBOX_CLAIM_SECONDS = 10
