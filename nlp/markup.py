"""Chat markup read as what it means, before anything else reads a message.

Slack writes a mention as ``<@U0123ABC>``, a link as ``<https://…|label>``, an emoji as
``:thinking_face:`` and escapes ``&``, ``<`` and ``>``; Rasa's Slack channel removes only the
bot's own mention, and a message pasted from Slack into the web chat keeps all of it. To the
classifier's character n-grams a user id is noise that sounds like no question it knows
("<@U0123ABC> how is a bodywork thing meant to help with stress lol" went out of scope).
``ChatMarkupCleaner`` rewrites the text the pipeline reads (training examples too): mentions
and emoji codes removed, a link as its label, Slack's escapes decoded. The visitor's message
is stored as they sent it.
"""

from __future__ import annotations

import re
from typing import Any, Dict, List, Text

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.shared.nlu.constants import TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

_REWRITES = [
    (re.compile(r"<[@!][A-Za-z0-9^]+(?:\|[^>]*)?>"), " "),  # <@U0123ABC>, <!here>: someone, not something
    (re.compile(r"<#[A-Z0-9]+\|([^>]*)>"), r"#\1"),  # a channel, by its name
    (re.compile(r"<(?:mailto:)?[^|<>\s]+\|([^>]+)>"), r"\1"),  # a link or an address, by its label
    (re.compile(r"<((?:https?://|mailto:)[^|<>\s]+)>"), r"\1"),
    (re.compile(r"(?<!\w):[a-z0-9_+'-]+:(?!\w)"), " "),  # :thinking_face:, :+1:
]
_ESCAPES = {"&lt;": "<", "&gt;": ">", "&amp;": "&"}  # &amp; last: "&amp;lt;" is "&lt;"
_SPACES = re.compile(r"\s{2,}")


def clean(text: str) -> str:
    """The text without chat markup (unchanged when it has none)."""
    if not any(mark in text for mark in ("<", ":", "&")):
        return text
    cleaned = text
    for pattern, replacement in _REWRITES:
        cleaned = pattern.sub(replacement, cleaned)
    for escape, character in _ESCAPES.items():
        cleaned = cleaned.replace(escape, character)
    return _SPACES.sub(" ", cleaned).strip() if cleaned != text else text


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.MESSAGE_FEATURIZER, is_trainable=False)
class ChatMarkupCleaner(GraphComponent):
    """First in the pipeline: the text every later component reads, without chat markup."""

    @classmethod
    def create(
        cls,
        config: Dict[Text, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> "ChatMarkupCleaner":
        return cls()

    def process(self, messages: List[Message]) -> List[Message]:
        for message in messages:
            text = message.get(TEXT)
            if isinstance(text, str):
                cleaned = clean(text)
                if cleaned != text:
                    message.set(TEXT, cleaned)
        return messages

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        self.process(training_data.training_examples)
        return training_data
