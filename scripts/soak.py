"""Soak test (`make soak`): 16 concurrent users for several minutes against the real servers
on loopback; reports messages/s, errors, empty replies and resident memory over time.

Usage: ``python -m scripts.soak [--users 16] [--minutes 5] [--json results/soak.json]``

Memory is measured after a 30-second warm-up (caches filled, TensorFlow and spaCy loaded)
and then every 30 seconds. It fails (exit 1) on any error or empty reply, or when either
server's resident memory grew by more than 10% from the warm-up to the end.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time
from pathlib import Path
from typing import Dict, List

from scripts.bench import concurrent_users, memory_mb, questions
from scripts.bot_servers import ROOT, running_bot

WARM_UP_S = 30
SAMPLE_EVERY_S = 30
MAX_GROWTH = 0.10


def rss_mb(pid: int) -> float:
    return memory_mb(pid, "VmRSS")


def main(argv: List[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=16)
    parser.add_argument("--minutes", type=float, default=5)
    parser.add_argument("--json", type=Path, default=ROOT / "results" / "soak.json")
    args = parser.parse_args(argv)
    texts = questions()

    with running_bot(name="soak") as bot:
        servers = {"rasa": bot.rasa.pid, "actions": bot.actions.pid}
        asyncio.run(concurrent_users(bot, texts, args.users, WARM_UP_S))
        samples: List[Dict] = [{"t_s": 0, **{name: rss_mb(pid) for name, pid in servers.items()}}]
        messages = errors = empty = 0
        started = time.monotonic()
        while (elapsed := time.monotonic() - started) < args.minutes * 60:
            chunk = asyncio.run(
                concurrent_users(bot, texts, args.users, min(SAMPLE_EVERY_S, args.minutes * 60 - elapsed))
            )
            messages, errors, empty = messages + chunk["messages"], errors + chunk["errors"], empty + chunk["empty"]
            samples.append({"t_s": round(time.monotonic() - started), **{n: rss_mb(p) for n, p in servers.items()}})
            print(
                f"{samples[-1]['t_s']:4d} s  {chunk['messages_per_s']:6.1f} msg/s  p95 {chunk['p95_ms']:6.0f} ms  "
                f"errors {errors}  rasa {samples[-1]['rasa']:.0f} MB  actions {samples[-1]['actions']:.0f} MB",
                flush=True,
            )
        duration = time.monotonic() - started

    growth = {name: samples[-1][name] / samples[0][name] - 1 for name in servers}
    result = {
        "users": args.users,
        "seconds": duration,
        "messages": messages,
        "messages_per_s": messages / duration,
        "errors": errors,
        "empty": empty,
        "rss_mb": samples,
        "rss_growth": growth,
    }
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(result, indent=2))
    print(json.dumps({k: v for k, v in result.items() if k != "rss_mb"}, indent=2))
    ok = errors == 0 and empty == 0 and all(g <= MAX_GROWTH for g in growth.values())
    print("soak: PASS" if ok else "soak: FAIL (errors, empty replies or memory growth over 10%)")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
