"""Delete the conversations whose last event is older than the retention period (``make purge``).

Usage: ``python -m scripts.purge [--days N] [--endpoints endpoints.yml]``; ``--days`` defaults to
``RETENTION_DAYS`` (30). The running server does the same every ``PURGE_INTERVAL_MINUTES``.
"""

from __future__ import annotations

import argparse
import sys
from typing import List

from scripts import quiet  # noqa: F401  (first: library notices off)
from stores.privacy import ENDPOINTS_HELP, open_store, purge, retention_days


def main(argv: List[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--days", type=float, default=None, help="days to keep (default: RETENTION_DAYS or 30)")
    parser.add_argument("--endpoints", help=ENDPOINTS_HELP)
    args = parser.parse_args(argv)
    days = retention_days() if args.days is None else args.days
    if days <= 0:
        print("Retention is off (0 days): nothing deleted.")
        return 0
    conversations, events = purge(open_store(args.endpoints), days)
    print(f"Deleted {conversations} conversation(s) ({events} events) whose last event is older than {days:g} days.")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
