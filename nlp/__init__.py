"""The project's spaCy pipeline (built from files in this folder) and its Rasa components."""
