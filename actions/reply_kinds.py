"""What kind of turn a bot message ends, kept in its metadata (``reply``): the clinic's report
(``scripts/report.py``) counts answers, "did you mean" questions and declines from the tracker
store by it, whatever the replies' wording. The channels ignore it."""

REPLY = "reply"  # the keyword the actions pass to utter_message, so the metadata key
ANSWERED = "answered"
DID_YOU_MEAN = "did_you_mean"
DECLINED = "declined"
CRISIS_RESPONSE = "utter_crisis"  # Rasa records a response's name as ``utter_action``
