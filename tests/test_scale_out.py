"""The scale-out profile (endpoints.scale.yml), on real servers: PostgreSQL (tracker store) and
Redis (lock store) from Debian's packages, two rasa replicas and one action server, all on
loopback. A conversation may reach any replica and must go on wherever it lands, as behind
a load balancer; a replica that dies loses no conversation.

The servers start once for the module (about 40 s); the replica is killed in the last test.
"""

from __future__ import annotations

import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from typing import Dict, Iterator, List, Tuple

import psycopg2
import pytest
import requests
from conftest import QUESTIONS, TWO_AT_ONCE, assert_both_answered_in_whole_turns, continues, passages_quoted, reply_text

from channels.guard import APOLOGY
from common.knowledge_base import KnowledgeBase
from scripts.bot_servers import ROOT, Bot, running_bot
from scripts.store_servers import running_postgres, running_redis

pytestmark = pytest.mark.scale

USERS = 16
# A replica killed while it holds a conversation's lock leaves its ticket in Redis until the
# ticket's lifetime ends (Rasa's default: 60 s); the profile's recommended value, in the README.
TICKET_LOCK_LIFETIME_S = "10"


@pytest.fixture(scope="module")
def stores() -> Iterator[Dict[str, str]]:
    """The variables endpoints.scale.yml needs, for a PostgreSQL and a Redis of this module's own."""
    with running_postgres() as postgres, running_redis() as redis_server:
        yield {**postgres, **redis_server}


@pytest.fixture(scope="module")
def replicas(stores: Dict[str, str]) -> Iterator[Bot]:
    env = {**stores, "TICKET_LOCK_LIFETIME": TICKET_LOCK_LIFETIME_S}
    with running_bot(name="scale", endpoints=ROOT / "endpoints.scale.yml", replicas=2, extra_env=env) as bot:
        yield bot


def stored_events(stores: Dict[str, str], sender: str) -> List[Tuple[str, str]]:
    """The conversation as PostgreSQL holds it: (type, action name) of each event, in order."""
    connection = psycopg2.connect(
        host=stores["DB_HOST"],
        port=stores["DB_PORT"],
        dbname=stores["DB_NAME"],
        user=stores["DB_USER"],
        password=stores["DB_PASSWORD"],
    )
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT type_name, action_name FROM events WHERE sender_id = %s ORDER BY id", (sender,))
            return cursor.fetchall()
    finally:
        connection.close()


def logs(bot: Bot) -> str:
    return "\n".join(bot.rasa_log(replica).read_text(errors="replace") for replica in range(len(bot.replicas)))


def test_a_conversation_alternating_between_replicas_keeps_its_context(replicas: Bot, kb: KnowledgeBase) -> None:
    sender = f"alternating-{uuid.uuid4().hex[:8]}"
    quoted = passages_quoted(kb, reply_text(replicas.ask(QUESTIONS[0], sender=sender, replica=0)))
    assert quoted
    for replica in (1, 0):
        text = reply_text(replicas.ask("tell me more", sender=sender, replica=replica))
        assert continues(kb, quoted, text), (replica, text)
        quoted += passages_quoted(kb, text)


def converse(bot: Bot, kb: KnowledgeBase, user: int) -> List[Tuple[str, bool]]:
    """One user's three turns, each on the other replica than the last: question, more, more."""
    sender = f"user-{user}-{uuid.uuid4().hex[:8]}"
    first = reply_text(bot.ask(QUESTIONS[user % len(QUESTIONS)], sender=sender, replica=user % 2))
    quoted = passages_quoted(kb, first)
    results = [(first, bool(quoted))]
    for turn in (1, 2):
        text = reply_text(bot.ask("tell me more", sender=sender, replica=(user + turn) % 2))
        results.append((text, continues(kb, quoted, text)))
        quoted += passages_quoted(kb, text)
    return results


def test_16_concurrent_users_over_both_replicas_get_every_reply_in_order(replicas: Bot, kb: KnowledgeBase) -> None:
    with ThreadPoolExecutor(max_workers=USERS) as pool:
        conversations = list(pool.map(lambda user: converse(replicas, kb, user), range(USERS)))
    failures = {
        user: [text[:80] for text, ok in turns if not ok]
        for user, turns in enumerate(conversations)
        if not all(ok for _, ok in turns)
    }
    assert not failures
    assert "LockError" not in logs(replicas) and "Could not acquire lock" not in logs(replicas)


def test_two_messages_of_one_conversation_at_both_replicas_at_once_are_taken_one_after_the_other(
    replicas: Bot, stores: Dict[str, str], kb: KnowledgeBase
) -> None:
    sender = f"double-{uuid.uuid4().hex[:8]}"
    with ThreadPoolExecutor(max_workers=2) as pool:
        replies = list(
            pool.map(lambda i: reply_text(replicas.ask(TWO_AT_ONCE[i][0], sender=sender, replica=i)), (0, 1))
        )
    assert_both_answered_in_whole_turns(kb, replies, stored_events(stores, sender))


def ask_until_answered(bot: Bot, text: str, sender: str, replica: int, within_s: float = 30) -> str:
    """What a client behind a load balancer sees: a connection refused or an apology is retried."""
    deadline = time.monotonic() + within_s
    while True:
        try:
            reply = reply_text(bot.ask(text, sender=sender, replica=replica, timeout=10))
            if reply != APOLOGY or time.monotonic() > deadline:
                return reply
        except requests.RequestException:
            if time.monotonic() > deadline:
                raise
        time.sleep(0.5)


def test_killing_a_replica_mid_run_loses_no_conversation(replicas: Bot, kb: KnowledgeBase) -> None:
    senders = [f"survivor-{user}-{uuid.uuid4().hex[:8]}" for user in range(USERS)]
    quoted: Dict[str, List[str]] = {}
    for user, sender in enumerate(senders):  # every conversation starts on replica 0
        quoted[sender] = passages_quoted(kb, reply_text(replicas.ask(QUESTIONS[user % 4], sender=sender, replica=0)))
        assert quoted[sender]

    def tell_more_on_replica_0(sender: str) -> str:
        try:  # some of these are in flight when replica 0 dies: the client then asks replica 1
            return reply_text(replicas.ask("tell me more", sender=sender, replica=0, timeout=10))
        except requests.RequestException:
            return ask_until_answered(replicas, "tell me more", sender, replica=1)

    with ThreadPoolExecutor(max_workers=USERS) as pool:
        pending = [pool.submit(tell_more_on_replica_0, sender) for sender in senders]
        time.sleep(0.3)
        replicas.stop_rasa(0, kill=True)
        first_more = {sender: future.result() for sender, future in zip(senders, pending, strict=True)}

    for sender in senders:
        # the first "tell me more" reached replica 0 before it died, or replica 1 after: either way it continues
        assert continues(kb, quoted[sender], first_more[sender]), (sender, first_more[sender])
        quoted[sender] += passages_quoted(kb, first_more[sender])
        # and the conversation goes on on the survivor, remembering what was already quoted
        text = ask_until_answered(replicas, "tell me more", sender, replica=1)
        assert continues(kb, quoted[sender], text), (sender, text)


def test_tickets_issued_at_once_by_two_replicas_are_all_different(stores: Dict[str, str]) -> None:
    """The lock store itself (stores/redis_lock_store.py), two instances as two replicas, on the
    real Redis: Rasa's RedisLockStore reads, changes and writes the lock back, so tickets taken
    at the same moment can repeat; ours are each issued in one transaction."""
    from rasa.utils.endpoints import EndpointConfig

    from stores.redis_lock_store import AtomicRedisLockStore

    def store() -> AtomicRedisLockStore:
        config = EndpointConfig(
            url=stores["REDIS_HOST"], port=stores["REDIS_PORT"], password=stores["REDIS_PASSWORD"] or None, db=2
        )
        return AtomicRedisLockStore(config)

    replicas = [store(), store()]
    conversation = f"tickets-{uuid.uuid4().hex[:8]}"
    with ThreadPoolExecutor(max_workers=16) as pool:
        tickets = list(pool.map(lambda i: replicas[i % 2].issue_ticket(conversation, 30), range(64)))
    assert sorted(tickets) == list(range(64))
    for ticket in tickets:
        replicas[ticket % 2].cleanup(conversation, ticket)
    assert replicas[0].get_lock(conversation) is None  # the last cleanup removed the lock
