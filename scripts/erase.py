"""Erase one conversation from the tracker store, for a visitor who asked the operator.

Usage: ``python -m scripts.erase SENDER_ID [--endpoints endpoints.yml]`` (the sender id is the
conversation's id: the web widget shows it under "Delete this conversation", Slack uses the
person's user id). Other conversations are untouched.
"""

from __future__ import annotations

import argparse
import sys
from typing import List

from scripts import quiet  # noqa: F401  (first: library notices off)
from stores.privacy import ENDPOINTS_HELP, erase, open_store


def main(argv: List[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("sender_id")
    parser.add_argument("--endpoints", help=ENDPOINTS_HELP)
    args = parser.parse_args(argv)
    deleted = erase(open_store(args.endpoints), args.sender_id)
    print(
        f"Erased {deleted} event(s) of conversation {args.sender_id!r}."
        if deleted
        else f"No conversation {args.sender_id!r} is stored."
    )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
