"""Imported first by the operator commands (erase, purge, report) and the evaluation, so their
output is their result: Sanic's import sets DeprecationWarning back to "once" (sanic/app.py), which overrides
the ``PYTHONWARNINGS`` the Makefile sets, and Rasa's dependencies then print pages of notices."""

import os
import warnings

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")  # TensorFlow's start-up notices, as make sets it

import sanic  # noqa: E402,F401  (imported here, so that its filter comes before ours)

warnings.filterwarnings("ignore", category=DeprecationWarning)
warnings.filterwarnings("ignore", category=PendingDeprecationWarning)
