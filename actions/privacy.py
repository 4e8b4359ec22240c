"""Erasing a conversation at its visitor's request.

The action only says so: the rasa server's tracker store (``stores.privacy``) sees that the
turn ran this action and deletes every event of the conversation instead of saving it, this
turn's included. The reply carries ``conversation_erased`` so the web widget also forgets
its copy (localStorage) and starts a new conversation.
"""

from __future__ import annotations

from typing import Any, Dict, List, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType
from rasa_sdk.executor import CollectingDispatcher

ERASED = (
    "Done: this conversation has been deleted from the assistant's records, every message of it. "
    "Anything you ask from now on starts a new conversation."
)


class ActionEraseConversation(Action):
    def name(self) -> Text:
        return "action_erase_conversation"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]) -> List[EventType]:
        dispatcher.utter_message(text=ERASED, conversation_erased=True)
        return []
