"""Imported first by the operator commands (erase, purge, report) and the evaluation, so their
output is their result: libraries' deprecation notices stay out of it, as in every rasa
command the Makefile runs (scripts/rasa_cli.py)."""

import os

from scripts.rasa_cli import quiet_deprecations

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")  # TensorFlow's start-up notices, as make sets it
quiet_deprecations()
