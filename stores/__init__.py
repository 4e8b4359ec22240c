"""Rasa stores of the project's own (referenced by module path from the endpoint files)."""
