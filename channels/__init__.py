"""The project's Rasa input channels.

Rasa imports the channels named in credentials.yml before it builds the tracker store and
loads the model, so the server-side fixes (``nlp/rasa_fixes.py``) are applied here: the
SQLite store's kept connection only takes effect on an engine created after them. Loading
the model's components applies them too (``rasa shell``, ``rasa test``); applying is idempotent.
"""

from nlp import rasa_fixes

rasa_fixes.apply()
