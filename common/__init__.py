"""What the rasa server (``nlp/``: its components) and the action server (``actions/``) both
load, so that neither imports the other: the article parsed into passages (``knowledge_base``),
the topics and their intents (``topics``), the crisis patterns (``safety``) and the sentence
encoder (``encoder``)."""
