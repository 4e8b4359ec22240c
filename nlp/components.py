"""Small Rasa NLU components for the project's pipeline.

- ``EntityRulerExtractor``: Rasa's ``SpacyEntityExtractor`` passes the surface
  text ("physical therapies"); this one passes the entity ruler's pattern id
  ("physical_therapy"), so slots and actions see one value per therapy or topic.
- ``LogisticRegressionIntentClassifier``: Rasa's ``LogisticRegressionClassifier``
  raises on a message without features (an empty or whitespace-only message), and
  the user gets silence; this one gives such a message ``nlu_fallback``, which the
  answering action turns into a prompt for a question. It also predicts without two
  per-message copies Rasa's makes: the weights are kept column-major, so scikit-learn's
  ``X @ coef_.T`` does not copy the whole weight matrix (features x intents) for each
  message, and the features are not stacked with an empty dense matrix. Its weights are
  kept as plain arrays (``.npz``, loaded without pickle) instead of Rasa's skops file:
  importing skops scans every loaded module for numpy's functions, which took 7 to 8 s of
  the rasa server's start-up (and 2 s of each training).
- ``SentenceCountVectorsFeaturizer``: Rasa's ``CountVectorsFeaturizer`` without the
  sequence features of a message's text (one row per token, made by a second vectoriser
  pass over the tokens). The logistic regression and the crisis classifier read only the
  sentence features, and nothing else in the pipeline reads features; the second pass was half of each
  featurizer's time. Labels (intents, action names), which have no sentence features, are
  featurized as Rasa does.
- ``SmallTalkGuard``: small talk ("hi", "thanks", "are you a bot?") is answered by a
  rule, whatever the message; one the classifier is unsure of becomes ``nlu_fallback``,
  and the answering action quotes a passage if search finds one, else replies to the small
  talk as the rule would.
"""

from __future__ import annotations

import logging
from typing import Any, Dict, List, Optional, Sequence, Text, Tuple, Type

import numpy as np
from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.classifiers.classifier import IntentClassifier
from rasa.nlu.classifiers.logistic_regression_classifier import LogisticRegressionClassifier
from rasa.nlu.constants import DENSE_FEATURIZABLE_ATTRIBUTES
from rasa.nlu.extractors.spacy_entity_extractor import SpacyEntityExtractor
from rasa.nlu.featurizers.sparse_featurizer.count_vectors_featurizer import CountVectorsFeaturizer
from rasa.shared.exceptions import InvalidConfigException
from rasa.shared.nlu.constants import FEATURE_TYPE_SENTENCE, INTENT, INTENT_RANKING_KEY, TEXT
from rasa.shared.nlu.training_data.features import Features
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData
from scipy.sparse import csr_matrix, hstack, spmatrix, vstack

from nlp import rasa_fixes

rasa_fixes.apply()  # the server-side fixes (see nlp/rasa_fixes/) ride along with the model

logger = logging.getLogger(__name__)

CRISIS_INTENT = "crisis"
FALLBACK_INTENT = "nlu_fallback"
OUT_OF_SCOPE = "out_of_scope"
WEIGHTS_FILE = "logistic_regression.npz"


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.ENTITY_EXTRACTOR, is_trainable=False, model_from="SpacyNLP")
class EntityRulerExtractor(SpacyEntityExtractor):
    """spaCy entities with their normalised value (the entity ruler's pattern id)."""

    def process(self, messages: List[Message], model: Any) -> List[Message]:
        # a message without text (a REST request with no "message") has no entities;
        # spaCy would raise on it
        super().process([m for m in messages if m.get(TEXT)], model)
        return messages

    @staticmethod
    def _extract_entities(doc: Any) -> List[Dict[Text, Any]]:
        return [
            {
                "entity": ent.label_,
                "value": ent.ent_id_ or ent.text,
                "start": ent.start_char,
                "end": ent.end_char,
                "confidence": None,
            }
            for ent in doc.ents
        ]


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.MESSAGE_FEATURIZER, is_trainable=True)
class SentenceCountVectorsFeaturizer(CountVectorsFeaturizer):
    """Rasa's count vectors, sentence features only (see the module docstring)."""

    def _create_features(
        self, attribute: Text, all_tokens: List[List[Text]]
    ) -> Tuple[List[Optional[spmatrix]], List[Optional[spmatrix]]]:
        if attribute not in DENSE_FEATURIZABLE_ATTRIBUTES:  # labels (intents, action names): as Rasa's
            return super()._create_features(attribute, all_tokens)
        if not self.vectorizers.get(attribute):
            return [None], [None]
        sentence_features: List[Optional[spmatrix]] = []
        for tokens in all_tokens:
            if not tokens:
                sentence_features.append(None)
                continue
            sentence = self.vectorizers[attribute].transform([" ".join(tokens)])
            sentence.sort_indices()
            sentence_features.append(sentence.tocoo())
        return [None] * len(all_tokens), sentence_features


def class_weights(labels: List[Text], factors: Dict[Text, float]) -> Dict[Text, float]:
    """scikit-learn's "balanced" class weights (n_samples / (n_classes x class count)), times
    ``factors`` for the classes named there."""
    classes, counts = np.unique(labels, return_counts=True)
    return {
        str(c): len(labels) / (len(classes) * n) * factors.get(str(c), 1.0)
        for c, n in zip(classes, counts, strict=True)
    }


def _is_sparse_sentence_feature(feature: Features) -> bool:
    return feature.attribute == TEXT and feature.is_sparse() and feature.type == FEATURE_TYPE_SENTENCE


def read_by(feature: Features, featurizers: Sequence[Text]) -> bool:
    """Whether a classifier whose ``featurizers`` option is ``featurizers`` reads the feature:
    as in Rasa's own classifiers, the featurizers' aliases, or every featurizer when empty."""
    return not featurizers or feature.origin in featurizers


def check_featurizers(component: Text, featurizers: Sequence[Text], training_data: TrainingData) -> None:
    """Stop training when a classifier names a featurizer that gave no example a feature (a
    misspelt alias would otherwise drop its features silently)."""
    given = {f.origin for example in training_data.training_examples for f in example.features}
    missing = sorted(set(featurizers) - given)
    if missing:
        raise InvalidConfigException(
            f"{component}: featurizers {missing} gave no features; the pipeline's are {sorted(map(str, given))}"
        )


def sentence_features(message: Message, featurizers: Sequence[Text] = ()) -> Optional[csr_matrix]:
    """The message's sentence features side by side, in pipeline order, sparse counts first and
    the sentence encoder's dense vector after them (``nlp.dense``): Rasa's ``_create_X``, without
    also copying and combining the sequence features (which the classifier does not use).
    ``featurizers``: the aliases of the featurizers read (empty: all)."""
    parts = [f.features for f in message.features if _is_sparse_sentence_feature(f) and read_by(f, featurizers)]
    if not parts:
        return None
    dense = [
        f.features
        for f in message.features
        if f.attribute == TEXT and f.is_dense() and f.type == FEATURE_TYPE_SENTENCE and read_by(f, featurizers)
    ]
    return hstack(parts + [csr_matrix(d) for d in dense], format="csr")


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=True)
class LogisticRegressionIntentClassifier(LogisticRegressionClassifier):
    """Rasa's logistic regression intent classifier, safe for messages without features,
    with the inverse regularisation strength ``C``, the weight of ``out_of_scope`` and the
    featurizers it reads (``featurizers``, as in Rasa's DIET) configurable.

    Rasa balances the classes: each intent weighs the same in training, however many
    examples it has. ``out_of_scope`` stands for everything the article does not cover, so
    one intent's share is little: ``out_of_scope_weight`` multiplies it."""

    @staticmethod
    def get_default_config() -> Dict[Text, Any]:
        return {
            **LogisticRegressionClassifier.get_default_config(),
            "C": 1.0,
            "out_of_scope_weight": 1.0,
            "featurizers": [],  # the aliases of the featurizers whose sentence features it reads (empty: all)
        }

    def __init__(self, config: Dict[Text, Any], *args: Any, **kwargs: Any) -> None:
        super().__init__(config, *args, **kwargs)
        self.clf.set_params(C=self.config["C"])

    def train(self, training_data: TrainingData) -> Resource:
        """Rasa's training, with ``out_of_scope`` weighed ``out_of_scope_weight`` times its balanced share."""
        check_featurizers(type(self).__name__, self.config["featurizers"], training_data)
        X, y = self._create_training_matrix(training_data)
        if X.shape[0] == 0:
            return self._resource
        self.clf.set_params(class_weight=class_weights(y, {OUT_OF_SCOPE: float(self.config["out_of_scope_weight"])}))
        self.clf.fit(X, y)
        self.persist()
        return self._resource

    @classmethod
    def fingerprint_addon(cls, config: Dict[Text, Any]) -> Optional[Text]:
        return WEIGHTS_FILE  # a model cached with Rasa's skops file is retrained, not loaded

    def persist(self) -> None:
        with self._model_storage.write_to(self._resource) as model_dir:
            np.savez(
                model_dir / WEIGHTS_FILE,
                coef=np.ascontiguousarray(self.clf.coef_),
                intercept=self.clf.intercept_,
                classes=np.asarray(self.clf.classes_, dtype=str),
                n_iter=self.clf.n_iter_,
            )

    @classmethod
    def load(
        cls,
        config: Dict[Text, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
        **kwargs: Any,
    ) -> "LogisticRegressionIntentClassifier":
        component = cls(config, execution_context.node_name, model_storage, resource)
        try:
            with (
                model_storage.read_from(resource) as model_dir,
                np.load(model_dir / WEIGHTS_FILE, allow_pickle=False) as weights,
            ):
                component.clf.coef_ = np.asfortranarray(weights["coef"])  # see process()
                component.clf.intercept_ = weights["intercept"]
                component.clf.classes_ = np.array([str(name) for name in weights["classes"]], dtype=object)
                component.clf.n_iter_ = weights["n_iter"]
                component.clf.n_features_in_ = weights["coef"].shape[1]
        except (ValueError, FileNotFoundError):
            logger.debug(f"{cls.__name__}: no trained weights in resource '{resource.name}'.")
        return component

    def _create_X(self, messages: List[Message]) -> csr_matrix:
        return vstack([sentence_features(m, self.config["featurizers"]) for m in messages], format="csr")

    def process(self, messages: List[Message]) -> List[Message]:
        coef = getattr(self.clf, "coef_", None)
        if coef is not None and not coef.flags.f_contiguous:
            self.clf.coef_ = np.asfortranarray(coef)  # same values; a contiguous coef_.T
        featured = [m for m in messages if any(_is_sparse_sentence_feature(f) for f in m.features)]
        if featured:
            super().process(featured)
        for message in messages:
            if message.get(INTENT) is None:
                message.set(INTENT, {"name": FALLBACK_INTENT, "confidence": 1.0}, add_to_output=True)
                message.set(INTENT_RANKING_KEY, [], add_to_output=True)
        return messages


def put_first(message: Message, intent: Dict[Text, Any]) -> None:
    """Make ``intent`` the message's intent and the first of its ranking (once), as Rasa's
    ``FallbackClassifier`` does with ``nlu_fallback``: the rest of the ranking stays for the
    answering action."""
    ranking = [r for r in message.get(INTENT_RANKING_KEY, []) if r.get("name") != intent["name"]]
    message.set(INTENT, intent, add_to_output=True)
    message.set(INTENT_RANKING_KEY, [intent] + ranking, add_to_output=True)


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=False)
class SmallTalkGuard(GraphComponent, IntentClassifier):
    """A small-talk intent below ``threshold`` becomes ``nlu_fallback``, as Rasa's
    ``FallbackClassifier`` does for every intent below its (lower) threshold.

    Small-talk intents go straight to a rule ("I'm a bot …", "Goodbye"), so an unsure one
    on a question ("do they check how youre progressing as you go along": bot_challenge
    0.38, the practitioner topic 0.35) answers something nobody asked. As ``nlu_fallback``
    it goes to the answering action, which quotes a passage if passage search finds one and
    otherwise replies to the small talk (``actions.answering.unsure_small_talk``). Small talk
    the classifier knows scores 0.7 and more; topic intents keep the lower threshold, because
    the answering action weighs their whole ranking anyway."""

    @staticmethod
    def get_default_config() -> Dict[Text, Any]:
        return {"intents": [], "threshold": 0.5}

    @classmethod
    def required_components(cls) -> List[Type]:
        return [IntentClassifier]

    @classmethod
    def create(
        cls,
        config: Dict[Text, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> "SmallTalkGuard":
        return cls(frozenset(config["intents"]), float(config["threshold"]))

    def __init__(self, intents: frozenset, threshold: float) -> None:
        self.intents = intents
        self.threshold = threshold

    def process(self, messages: List[Message]) -> List[Message]:
        for message in messages:
            intent = message.get(INTENT) or {}
            if intent.get("name") not in self.intents or intent.get("confidence", 0.0) >= self.threshold:
                continue
            put_first(message, {"name": FALLBACK_INTENT, "confidence": self.threshold})
        return messages
