"""``SentenceEncoderFeaturizer``: a Rasa dense featurizer with a pretrained sentence encoder.

Sparse lemma and character counts tie the intent classifier to the wordings it was trained
on; the encoder (``common.encoder``: all-MiniLM-L6-v2) gives it a notion of meaning ("talk
therapy" is near "cognitive behavioural therapy"). It adds one sentence feature per message
text, scaled by ``scale`` so that the classifier's L2 regularisation weighs it against the
counts (chosen on the development splits).

``encoder``: ``transformer``, the model itself (int8 ONNX, about 4 ms a message), or
``static``, its distilled token table (0.05 ms). The intent classifier reads the first, the
crisis classifier the second (``config.yml`` says why); each featurizer has an ``alias``
that a classifier's ``featurizers`` list names, as with Rasa's own classifiers.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any, Dict, List, Optional, Text

import numpy as np
from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.featurizers.dense_featurizer.dense_featurizer import DenseFeaturizer
from rasa.shared.nlu.constants import TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

import common.encoder as encoder_module
from common.encoder import STATIC_TABLE, Encoder, onnx_encoder, static_encoder, transformer_fingerprint

ENCODERS = ("static", "transformer")


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.MESSAGE_FEATURIZER, is_trainable=False)
class SentenceEncoderFeaturizer(DenseFeaturizer, GraphComponent):
    """The message text's sentence embedding, as a dense sentence feature."""

    @staticmethod
    def get_default_config() -> Dict[Text, Any]:
        return {**DenseFeaturizer.get_default_config(), "scale": 1.0, "encoder": "static"}

    @classmethod
    def fingerprint_addon(cls, config: Dict[Text, Any]) -> Optional[Text]:
        """What makes the vectors besides the config: Rasa's cache key holds this class's source
        only, so a change of the encoder's code, model or runtime must retrain what reads them."""
        if config.get("encoder") == "transformer":
            return transformer_fingerprint()
        made_by = hashlib.sha256(Path(encoder_module.__file__).read_bytes())
        if STATIC_TABLE.exists():
            made_by.update(str(STATIC_TABLE.stat().st_size).encode())
        return made_by.hexdigest()

    @classmethod
    def validate_config(cls, config: Dict[Text, Any]) -> None:
        if float(config.get("scale", 1.0)) <= 0:
            raise ValueError(f"{cls.__name__}: scale must be positive, got {config['scale']!r}")
        if config.get("encoder", "static") not in ENCODERS:
            raise ValueError(f"{cls.__name__}: encoder must be one of {ENCODERS}, got {config['encoder']!r}")

    @classmethod
    def create(
        cls,
        config: Dict[Text, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> "SentenceEncoderFeaturizer":
        return cls(config, execution_context.node_name)

    def __init__(self, config: Dict[Text, Any], name: Text) -> None:
        super().__init__(name, config)
        self.scale = float(self._config["scale"])
        self.encoder: Encoder = static_encoder() if self._config["encoder"] == "static" else onnx_encoder()

    def _featurize(self, message: Message) -> None:
        text = message.get(TEXT)
        if not text or not text.strip():
            return  # no features: the classifier gives such a message nlu_fallback
        vector = self.encoder.encode(text) * self.scale
        self.add_features_to_message(None, vector[np.newaxis, :], TEXT, message)

    def process(self, messages: List[Message]) -> List[Message]:
        for message in messages:
            self._featurize(message)
        return messages

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        for example in training_data.training_examples:
            self._featurize(example)
        return training_data
