"""What a trained model depends on, listed once: the Makefile's ``train`` target retrains when one
of them changes (``python3 -m scripts.training_inputs`` prints them, with any Python 3, before
the venv exists), and ``scripts/bench.py`` reuses its stock model while Rasa's part is the same.

- **Rasa's inputs**: the config, the domain and the training data (``data/``, except
  ``data/article/``: the article and its mappings are the action server's).
- **The project's**: the code of the model's components (``nlp/``) and of what they load
  (``common/``), and the article files ``nlp.importer`` turns into training examples.
"""

from __future__ import annotations

from pathlib import Path
from typing import List

ROOT = Path(__file__).resolve().parent.parent
COMPONENT_CODE = [
    "nlp/components.py",
    "nlp/markup.py",
    "nlp/crisis.py",
    "nlp/dense.py",
    "nlp/importer.py",
    "common/encoder.py",
    "common/safety.py",
    "common/topics.py",
    "common/knowledge_base.py",
]
ARTICLE_FILES = [
    "data/article/detail_questions.yml",
    "data/article/topics.yml",
    "data/article/neurokinetic-therapy-stress.txt",
]


def rasa_inputs(config: Path = ROOT / "config.yml") -> List[Path]:
    """The config, the domain and the training data, in a fixed order."""
    data = ROOT / "data"
    training = sorted(p for p in data.rglob("*.yml") if "article" not in p.relative_to(data).parts)
    return [config, ROOT / "domain.yml", *training]


def project_inputs() -> List[Path]:
    """Everything the project's model depends on: Rasa's inputs, the components' code, the article files."""
    return [*rasa_inputs(), *(ROOT / name for name in COMPONENT_CODE + ARTICLE_FILES)]


if __name__ == "__main__":
    print(" ".join(str(path.relative_to(ROOT)) for path in project_inputs()))
