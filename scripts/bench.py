"""Latency and throughput of the trained bot over the REST channel, on loopback (a first cut of
`make bench`: ours only; the stock-Rasa comparison of issue 5 is still to come).

Usage: ``python -m scripts.bench [--users 16] [--seconds 60] [--json results/bench.json]``

One process drives the load with asyncio (so that the CPU is left to the servers) and
reports its own CPU share. Phases:
- one user: every question of ``eval/heldout.yml`` and ``eval/dev.yml`` (at least 300), in turn;
- N concurrent users, each its own sender, 2- to 3-turn conversations, for a bounded time.
Errors (non-200) and empty replies are counted; both should be 0.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import resource
import sys
import time
import uuid
from pathlib import Path
from statistics import median, quantiles
from typing import Dict, List

import aiohttp
import yaml

from scripts.bot_servers import ROOT, Bot, running_bot

FOLLOW_UPS = ["tell me more", "and physical therapy?", "what about the cost?", "is it safe?"]


def questions() -> List[str]:
    texts: List[str] = []
    for name in ("heldout.yml", "dev.yml"):
        data = yaml.safe_load((ROOT / "eval" / name).read_text(encoding="utf-8"))
        texts += [c["text"] for c in data["in_scope"]] + data["out_of_scope"]
    return texts


def percentiles(latencies: List[float]) -> Dict[str, float]:
    cuts = quantiles(latencies, n=100)
    return {"median_ms": 1000 * median(latencies), "p95_ms": 1000 * cuts[94], "p99_ms": 1000 * cuts[98]}


async def ask(session: aiohttp.ClientSession, url: str, sender: str, text: str, stats: Dict) -> None:
    started = time.perf_counter()
    try:
        async with session.post(url, json={"sender": sender, "message": text}) as response:
            body = await response.json()
            ok = response.status == 200
    except (aiohttp.ClientError, asyncio.TimeoutError, json.JSONDecodeError):
        ok, body = False, None
    stats["latencies"].append(time.perf_counter() - started)
    stats["errors"] += not ok
    stats["empty"] += ok and not body


async def single_user(bot: Bot, texts: List[str]) -> Dict:
    stats = {"latencies": [], "errors": 0, "empty": 0}
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=30)) as session:
        for text in texts:
            await ask(session, f"{bot.url}/webhooks/rest/webhook", f"one-{uuid.uuid4().hex[:8]}", text, stats)
    return {
        "messages": len(texts),
        **percentiles(stats["latencies"]),
        "errors": stats["errors"],
        "empty": stats["empty"],
    }


async def concurrent_users(bot: Bot, texts: List[str], users: int, seconds: float) -> Dict:
    stats = {"latencies": [], "errors": 0, "empty": 0}
    deadline = time.monotonic() + seconds
    rng = random.Random(42)

    async def user(session: aiohttp.ClientSession) -> None:
        while time.monotonic() < deadline:
            sender = f"user-{uuid.uuid4().hex[:8]}"
            turns = [rng.choice(texts)] + rng.sample(FOLLOW_UPS, rng.randint(1, 2))
            for text in turns:
                await ask(session, f"{bot.url}/webhooks/rest/webhook", sender, text, stats)

    started = time.monotonic()
    connector = aiohttp.TCPConnector(limit=users)
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=30), connector=connector) as session:
        await asyncio.gather(*(user(session) for _ in range(users)))
    elapsed = time.monotonic() - started
    return {
        "users": users,
        "seconds": elapsed,
        "messages": len(stats["latencies"]),
        "messages_per_s": len(stats["latencies"]) / elapsed,
        **percentiles(stats["latencies"]),
        "errors": stats["errors"],
        "empty": stats["empty"],
    }


def peak_rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def main(argv: List[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=16)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--json", type=Path, default=ROOT / "results" / "bench.json")
    args = parser.parse_args(argv)
    texts = questions()

    started = time.monotonic()
    with running_bot(name="bench") as bot:
        ready_s = time.monotonic() - started
        cpu_before = resource.getrusage(resource.RUSAGE_SELF)
        wall_before = time.monotonic()
        one = asyncio.run(single_user(bot, texts))
        many = asyncio.run(concurrent_users(bot, texts, args.users, args.seconds))
        cpu_after = resource.getrusage(resource.RUSAGE_SELF)
        load_cpu = (cpu_after.ru_utime + cpu_after.ru_stime) - (cpu_before.ru_utime + cpu_before.ru_stime)
        result = {
            "both_servers_ready_s": ready_s,
            "single_user": one,
            "concurrent": many,
            "peak_rss_mb": {"rasa": peak_rss_mb(bot.rasa.pid), "actions": peak_rss_mb(bot.actions.pid)},
            "load_generator_cpu_share": load_cpu / (time.monotonic() - wall_before),
        }
    print(json.dumps(result, indent=2))
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
