"""The project's Rasa input channels."""
