"""Build the project's spaCy pipeline from files in the repository.

No pretrained spaCy model can be downloaded here, and none is needed: a blank
English pipeline with the lookup lemmatizer (tables from ``spacy-lookups-data``)
and an entity ruler for the therapies and topics the article names is all the
assistant uses, in Rasa's ``SpacyNLP`` and in the action server's passage search.

Usage: ``python -m nlp.build [OUTPUT_DIR]`` (default: ``nlp/build/en_nkt``).
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import cast

import spacy
from spacy.language import Language
from spacy.pipeline import EntityRuler

HERE = Path(__file__).resolve().parent
PATTERNS = HERE / "patterns.jsonl"
PLACES = HERE / "places.txt"
DEFAULT_OUTPUT = HERE / "build" / "en_nkt"
PIPELINE_NAME = "en_nkt"


def place_patterns(places: Path = PLACES) -> list[dict]:
    """Entity ruler patterns for the place names in ``places.txt`` (label local_request)."""
    names = [line.strip() for line in places.read_text(encoding="utf-8").splitlines()]
    return [
        {"label": "local_request", "pattern": name.lower(), "id": "place"}
        for name in names
        if name and not name.startswith("#")
    ]


def build_pipeline(patterns: Path = PATTERNS, places: Path = PLACES) -> Language:
    nlp = spacy.blank("en")
    nlp.meta["name"] = PIPELINE_NAME[3:]
    nlp.meta["version"] = "1.0.0"
    nlp.meta["description"] = "Blank English + lookup lemmatizer + entity ruler for the NKT article"
    nlp.add_pipe("lemmatizer", config={"mode": "lookup"})
    # initialize() loads the lookup tables; it would also empty an entity ruler,
    # so the ruler and its patterns are added afterwards.
    nlp.initialize()
    ruler = cast(EntityRuler, nlp.add_pipe("entity_ruler", config={"phrase_matcher_attr": "LOWER"}))
    ruler.from_disk(patterns)
    ruler.add_patterns(place_patterns(places))
    return nlp


def main(argv: list[str]) -> int:
    output = Path(argv[1]) if len(argv) > 1 else DEFAULT_OUTPUT
    nlp = build_pipeline()
    output.parent.mkdir(parents=True, exist_ok=True)
    nlp.to_disk(output)
    print(f"spaCy pipeline written to {output} (pipes: {', '.join(nlp.pipe_names)})")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
