"""The project's Rasa input channels.

Rasa imports the channels named in credentials.yml in the server's first process, before it
forks its workers and loads the model, so the server-side fixes (``nlp/rasa_fixes/``) are
applied here, once, for every worker. Loading the model's components applies them too
(``rasa shell``, ``rasa test``); applying is idempotent. The intent classifier's transformer
is loaded here too, so that the workers share it.
"""

import gc

from common.encoder import onnx_encoder
from nlp import rasa_fixes

rasa_fixes.apply()
# The intent classifier's sentence encoder (the int8 transformer, config.yml), loaded here so
# that the workers share its weights instead of each loading its own copy (about 150 MB).
onnx_encoder()
# Rasa builds its channels in the server's first process, before Sanic forks the workers
# (`make run`: two). Everything imported so far (TensorFlow, spaCy, Rasa: ~500 MB) is moved
# out of the garbage collector's reach, as Python's documentation advises before a fork:
# otherwise each worker's collections touch every object and copy the pages they share with
# the parent. Two workers: 824 -> 644 MB together (PSS). Those objects live as long as the
# process anyway.
gc.freeze()
