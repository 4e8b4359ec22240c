"""The project's spaCy pipeline: lemmas and the entity ruler's normalised entities."""

from pathlib import Path

import pytest
import yaml

from actions.retrieval import content_lemmas, nlp
from nlp.components import EntityRulerExtractor


def entity_ids(text):
    """(label, value) as the Rasa component passes them on."""
    return [(e["entity"], e["value"]) for e in EntityRulerExtractor._extract_entities(nlp()(text))]


@pytest.mark.parametrize(
    "text, expected",
    [
        ("Is NKT better than Physical Therapy?", [("therapy", "nkt"), ("therapy", "physical_therapy")]),
        ("what about massages and the chiropractor", [("therapy", "massage"), ("therapy", "chiropractic")]),
        ("does it lower cortisol via the vagus nerve", [("topic", "cortisol"), ("topic", "vagus_nerve")]),
        ("is acupuncture better", [("other_therapy", "acupuncture")]),
        (
            "best yoga poses or magnesium for stress",
            [("therapy", "yoga"), ("other_topic", "poses"), ("other_topic", "supplements")],
        ),
        (
            "find an nkt practitioner near me in chicago",
            [
                ("therapy", "nkt"),
                ("topic", "practitioner"),
                ("local_request", "local_request"),
                ("local_request", "place"),
            ],
        ),
    ],
)
def test_entity_ruler_names_therapies_and_topics_by_one_normalised_id(text, expected):
    assert entity_ids(text) == expected


def test_a_pronoun_is_not_mistaken_for_a_place():
    assert entity_ids("can you tell us what it costs") == []


def test_content_lemmas_drop_stop_words_and_normalise_word_forms():
    assert content_lemmas("How many sessions are typically needed?") == ["session", "typically"]


def test_the_intent_classifier_reloads_from_plain_arrays_with_identical_predictions(tmp_path):
    import numpy as np
    import scipy.sparse
    from rasa.engine.graph import ExecutionContext, GraphSchema
    from rasa.engine.storage.local_model_storage import LocalModelStorage
    from rasa.engine.storage.resource import Resource

    from nlp.components import WEIGHTS_FILE, LogisticRegressionIntentClassifier

    storage, resource = LocalModelStorage(tmp_path), Resource("intent_classifier")
    context = ExecutionContext(GraphSchema({}), node_name="intent_classifier")
    config = {**LogisticRegressionIntentClassifier.get_default_config(), "C": 3.0, "max_iter": 1000}
    trained = LogisticRegressionIntentClassifier.create(config, storage, resource, context)
    features = scipy.sparse.random(90, 40, density=0.2, random_state=0, format="csr")
    trained.clf.fit(features, [f"ask_topic_{i % 6}" for i in range(90)])
    trained.persist()

    loaded = LogisticRegressionIntentClassifier.load(config, storage, resource, context)
    assert np.array_equal(loaded.clf.predict_proba(features), trained.clf.predict_proba(features))
    assert list(loaded.clf.classes_) == list(trained.clf.classes_)
    with storage.read_from(resource) as directory:
        assert [p.name for p in directory.iterdir()] == [WEIGHTS_FILE]  # plain arrays, no pickle or skops file


def test_out_of_scope_weighs_its_factor_times_its_balanced_share_and_other_intents_stay_balanced():
    from nlp.components import class_weights

    labels = ["out_of_scope"] * 4 + ["ask_a"] * 2 + ["ask_b"] * 6
    weights = class_weights(labels, {"out_of_scope": 2.0})
    # balanced: 12 examples / (3 classes x the class's count)
    assert weights == {"out_of_scope": 2.0, "ask_a": 2.0, "ask_b": 12 / 18}


def test_the_intent_classifier_trains_with_the_configured_out_of_scope_weight(tmp_path):
    from rasa.engine.graph import ExecutionContext, GraphSchema
    from rasa.engine.storage.local_model_storage import LocalModelStorage
    from rasa.engine.storage.resource import Resource
    from rasa.nlu.tokenizers.whitespace_tokenizer import WhitespaceTokenizer
    from rasa.shared.nlu.training_data.message import Message
    from rasa.shared.nlu.training_data.training_data import TrainingData

    from nlp.components import LogisticRegressionIntentClassifier, SentenceCountVectorsFeaturizer

    texts = {"out_of_scope": ["weather today", "pizza recipe", "football score"], "ask_cost": ["nkt cost", "price"]}
    data = TrainingData([Message(data={"text": t, "intent": i}) for i, ts in texts.items() for t in ts])
    WhitespaceTokenizer(WhitespaceTokenizer.get_default_config()).process_training_data(data)
    context = ExecutionContext(GraphSchema({}), node_name="featurizer")
    featurizer = SentenceCountVectorsFeaturizer.create(
        SentenceCountVectorsFeaturizer.get_default_config(), LocalModelStorage(tmp_path), Resource("f"), context
    )
    featurizer.train(data)
    featurizer.process_training_data(data)
    config = {**LogisticRegressionIntentClassifier.get_default_config(), "out_of_scope_weight": 3.0}
    classifier = LogisticRegressionIntentClassifier.create(config, LocalModelStorage(tmp_path), Resource("c"), context)
    classifier.train(data)
    assert classifier.clf.class_weight == {"out_of_scope": 5 / 6 * 3.0, "ask_cost": 5 / 4}
    assert list(classifier.clf.classes_) == ["ask_cost", "out_of_scope"]  # and it was fitted with them


def test_the_classifier_reads_the_same_sentence_features_as_rasa_combines():
    import numpy as np
    import scipy.sparse
    from rasa.shared.nlu.constants import FEATURE_TYPE_SENTENCE, FEATURE_TYPE_SEQUENCE, TEXT
    from rasa.shared.nlu.training_data.features import Features
    from rasa.shared.nlu.training_data.message import Message

    from nlp.components import sentence_features

    message = Message(data={TEXT: "is nkt safe"})
    for seed, origin in enumerate(["words", "char_ngrams"]):
        matrix = scipy.sparse.random(1, 30 + seed, density=0.3, random_state=seed, format="coo")
        message.add_features(Features(matrix, FEATURE_TYPE_SENTENCE, TEXT, origin))
        tokens = scipy.sparse.random(3, 9, random_state=seed)
        message.add_features(Features(tokens, FEATURE_TYPE_SEQUENCE, TEXT, origin))
    rasas = message.get_sparse_features(attribute=TEXT)[1].features
    assert np.array_equal(sentence_features(message).toarray(), rasas.toarray())
    assert sentence_features(Message(data={TEXT: ""})) is None


def test_each_classifier_reads_only_the_featurizers_its_config_names():
    """config.yml: the intent classifier reads the transformer (``meaning``), the crisis
    classifier the static table (``meaning_static``); with no list, a classifier reads all."""
    import numpy as np
    from rasa.shared.nlu.constants import FEATURE_TYPE_SENTENCE, TEXT
    from rasa.shared.nlu.training_data.features import Features
    from rasa.shared.nlu.training_data.message import Message

    from nlp.components import sentence_features
    from nlp.crisis import crisis_features

    message = Message(data={TEXT: "is nkt safe"})
    message.add_features(Features(scipy_row([1.0, 2.0]), FEATURE_TYPE_SENTENCE, TEXT, "lemmas"))
    message.add_features(Features(np.array([[3.0, 4.0, 5.0]]), FEATURE_TYPE_SENTENCE, TEXT, "meaning"))
    message.add_features(Features(np.array([[6.0]]), FEATURE_TYPE_SENTENCE, TEXT, "meaning_static"))
    assert sentence_features(message).toarray().tolist() == [[1.0, 2.0, 3.0, 4.0, 5.0, 6.0]]
    assert sentence_features(message, ["lemmas", "meaning"]).toarray().tolist() == [[1.0, 2.0, 3.0, 4.0, 5.0]]
    assert crisis_features(message, featurizers=["lemmas", "meaning_static"]).shape == (1, 3)
    assert crisis_features(message).shape == (1, 6)

    config = yaml.safe_load((Path(__file__).resolve().parent.parent / "config.yml").read_text())["pipeline"]
    by_name = {c["name"].rsplit(".", 1)[-1]: c for c in config}
    aliases = {c["alias"]: c for c in config if "alias" in c}
    assert aliases[by_name["LogisticRegressionIntentClassifier"]["featurizers"][-1]]["encoder"] == "transformer"
    assert aliases[by_name["CrisisGuard"]["featurizers"][-1]]["encoder"] == "static"
    read = by_name["LogisticRegressionIntentClassifier"]["featurizers"] + by_name["CrisisGuard"]["featurizers"]
    assert set(read) == set(aliases)  # every featurizer is read by one of them, and every name exists


def test_a_classifier_naming_a_featurizer_the_pipeline_lacks_stops_training():
    import numpy as np
    from rasa.shared.exceptions import InvalidConfigException
    from rasa.shared.nlu.constants import FEATURE_TYPE_SENTENCE, TEXT
    from rasa.shared.nlu.training_data.features import Features
    from rasa.shared.nlu.training_data.training_data import TrainingData

    from nlp.components import check_featurizers

    example = featured("is nkt safe", "ask_safety", [1, 0])
    example.add_features(Features(np.array([[0.5]]), FEATURE_TYPE_SENTENCE, TEXT, "meaning"))
    data = TrainingData([example])
    check_featurizers("CrisisGuard", ["test", "meaning"], data)  # both gave features
    with pytest.raises(InvalidConfigException, match=r"\['meaning_statc'\] gave no features"):
        check_featurizers("CrisisGuard", ["test", "meaning_statc"], data)


def scipy_row(values):
    import numpy as np
    import scipy.sparse

    return scipy.sparse.coo_matrix(np.array([values]))


def test_the_sentence_count_vectors_are_rasas_sentence_features_and_nothing_else(tmp_path):
    import numpy as np
    from rasa.engine.graph import ExecutionContext, GraphSchema
    from rasa.engine.storage.local_model_storage import LocalModelStorage
    from rasa.engine.storage.resource import Resource
    from rasa.nlu.featurizers.sparse_featurizer.count_vectors_featurizer import CountVectorsFeaturizer
    from rasa.nlu.tokenizers.whitespace_tokenizer import WhitespaceTokenizer
    from rasa.shared.nlu.constants import FEATURE_TYPE_SENTENCE, INTENT, TEXT
    from rasa.shared.nlu.training_data.message import Message
    from rasa.shared.nlu.training_data.training_data import TrainingData

    from nlp.components import SentenceCountVectorsFeaturizer

    texts = ["what is nkt", "how many sessions do I need", "is it safe", "nkt vs yoga", "cost of a session"]
    tokenizer = WhitespaceTokenizer(WhitespaceTokenizer.get_default_config())
    context = ExecutionContext(GraphSchema({}), node_name="featurizer")

    def featurized(cls, config, folder):
        folder.mkdir()
        storage = LocalModelStorage(folder)
        featurizer = cls.create({**cls.get_default_config(), **config}, storage, Resource("f"), context)
        training = TrainingData([Message(data={TEXT: t, "intent": f"i{n % 2}"}) for n, t in enumerate(texts)])
        tokenizer.process_training_data(training)
        featurizer.train(training)
        featurizer.process_training_data(training)
        labels = [
            [(f.type, f.features.toarray().tolist()) for f in m.features if f.attribute == INTENT]
            for m in training.intent_examples
        ]
        messages = [Message(data={TEXT: t}) for t in ("is nkt safe for me", "sessions and cost", "yoga")]
        tokenizer.process(messages)
        return labels, featurizer.process(messages)

    for n, config in enumerate([{}, {"analyzer": "char_wb", "min_ngram": 2, "max_ngram": 4}]):
        our_labels, ours = featurized(SentenceCountVectorsFeaturizer, config, tmp_path / f"ours-{n}")
        rasas_labels, rasas = featurized(CountVectorsFeaturizer, config, tmp_path / f"rasa-{n}")
        assert our_labels == rasas_labels  # the intents' own features: as Rasa's
        for mine, theirs in zip(ours, rasas, strict=True):
            assert [f.type for f in mine.features] == [FEATURE_TYPE_SENTENCE]  # no per-token rows
            (expected,) = [f for f in theirs.features if f.type == FEATURE_TYPE_SENTENCE]
            assert np.array_equal(mine.features[0].features.toarray(), expected.features.toarray())
            assert mine.features[0].features.nnz > 0


def classified_message(text, ranking):
    from rasa.shared.nlu.training_data.message import Message

    message = Message(data={"text": text})
    message.set("intent", ranking[0])
    message.set("intent_ranking", ranking)
    return message


def test_small_talk_the_classifier_is_unsure_of_becomes_a_fallback_that_keeps_the_ranking():
    from nlp.components import SmallTalkGuard

    guard = SmallTalkGuard(frozenset({"bot_challenge", "greet"}), 0.5)
    ranking = [{"name": "bot_challenge", "confidence": 0.38}, {"name": "ask_find_practitioner", "confidence": 0.35}]
    [message] = guard.process([classified_message("do they check how youre progressing as you go along", ranking)])
    assert message.get("intent") == {"name": "nlu_fallback", "confidence": 0.5}
    names = [r["name"] for r in message.get("intent_ranking")]
    assert names == ["nlu_fallback", "bot_challenge", "ask_find_practitioner"]


@pytest.mark.parametrize(
    "intent, confidence",
    [("bot_challenge", 0.72), ("ask_find_practitioner", 0.38)],  # sure small talk; an unsure topic
)
def test_sure_small_talk_and_unsure_topics_keep_their_intent(intent, confidence):
    from nlp.components import SmallTalkGuard

    guard = SmallTalkGuard(frozenset({"bot_challenge", "greet"}), 0.5)
    [message] = guard.process([classified_message("r u a bot", [{"name": intent, "confidence": confidence}])])
    assert message.get("intent")["name"] == intent


def crisis_guard(tmp_path, examples):
    """A CrisisGuard trained on ``examples`` ((text, intent or None for an ordinary message, features))."""
    from rasa.engine.graph import ExecutionContext, GraphSchema
    from rasa.engine.storage.local_model_storage import LocalModelStorage
    from rasa.engine.storage.resource import Resource
    from rasa.shared.nlu.training_data.training_data import TrainingData

    from nlp.crisis import CrisisGuard

    storage, resource = LocalModelStorage(tmp_path), Resource("crisis_guard")
    context = ExecutionContext(GraphSchema({}), node_name="crisis_guard")
    guard = CrisisGuard.create(CrisisGuard.get_default_config(), storage, resource, context)
    guard.train(TrainingData(training_examples=[featured(*example) for example in examples]))
    return CrisisGuard.load(CrisisGuard.get_default_config(), storage, resource, context)


def featured(text, intent, vector):
    """A message with one sparse sentence feature (``vector``), labelled ``intent`` or ordinary."""
    import numpy as np
    import scipy.sparse
    from rasa.shared.nlu.training_data.features import Features
    from rasa.shared.nlu.training_data.message import Message

    from nlp.crisis import ORDINARY

    message = Message(data={"text": text, **({"intent": intent} if intent else {ORDINARY: True})})
    matrix = scipy.sparse.coo_matrix(np.array([vector], dtype=float))
    message.add_features(Features(matrix, "sentence", "text", "test"))
    return message


CRISIS_TRAINING = [
    *[(f"crisis {i}", "crisis", [1, 0, 0]) for i in range(20)],
    *[(f"question {i}", "ask_safety", [0, 1, 0]) for i in range(20)],
    *[(f"killing me {i}", None, [0, 0, 1]) for i in range(20)],  # ordinary, with scary words
]


def test_the_crisis_classifier_flags_a_message_the_crisis_patterns_miss(tmp_path):
    guard = crisis_guard(tmp_path, CRISIS_TRAINING)
    [message] = guard.process([featured("i've sorted out who gets the dog, thanks for everything", None, [1, 0, 0])])
    assert message.get("intent") == {"name": "crisis", "confidence": 1.0}


def test_an_ordinary_message_keeps_its_intent_and_loses_an_unsure_crisis_from_its_ranking(tmp_path):
    guard = crisis_guard(tmp_path, CRISIS_TRAINING)
    message = featured("this commute is killing me, is nkt any good for neck tension", None, [0, 0, 1])
    ranking = [{"name": "crisis", "confidence": 0.7}, {"name": "ask_safety", "confidence": 0.2}]
    message.set("intent", ranking[0])
    message.set("intent_ranking", ranking)
    assert guard.probability(message) < 0.1  # learnt from the ordinary messages, not a coin toss
    [message] = guard.process([message])
    assert message.get("intent") == {"name": "ask_safety", "confidence": 0.2}
    assert [r["name"] for r in message.get("intent_ranking")] == ["ask_safety"]


def test_the_crisis_features_do_not_grow_with_the_length_of_the_message():
    import numpy as np

    from nlp.crisis import crisis_features

    short = crisis_features(featured("budget?", None, [2, 1, 0]))
    long = crisis_features(featured("budget? " * 40, None, [80, 40, 0]))
    assert np.isclose(np.linalg.norm(short.toarray()), 1.0) and np.isclose(np.linalg.norm(long.toarray()), 1.0)


def test_each_feature_block_is_dampened_weighted_by_idf_and_scaled_to_unit_length_on_its_own():
    import numpy as np
    from rasa.shared.nlu.training_data.features import Features

    from nlp.crisis import crisis_features

    message = featured("words", None, [3, 0, 4])  # a sparse block of 3 columns
    message.add_features(Features(np.array([[9.0, 0.0]]), "sentence", "text", "chars"))  # a dense block
    idf = np.array([2.0, 1.0, 1.0, 1.0, 1.0])
    row = crisis_features(message, idf).toarray()[0]
    words = np.array([np.log1p(3) * 2.0, 0.0, np.log1p(4)])
    assert np.allclose(row[:3], words / np.linalg.norm(words))  # log 1 + count, idf, unit length
    assert np.allclose(row[3:], [1.0, 0.0])  # the dense block at unit length on its own


def test_the_importer_adds_the_ordinary_messages_without_an_intent():
    from nlp.crisis import ORDINARY
    from nlp.importer import ArticleImporter, ordinary_messages
    from scripts.bot_servers import ROOT

    importer = ArticleImporter(config_file=str(ROOT / "config.yml"), training_data_paths=[str(ROOT / "data")])
    data = importer.get_nlu_data()
    ordinary = [m for m in data.training_examples if m.get(ORDINARY)]
    assert sorted(m.get("text") for m in ordinary) == sorted(ordinary_messages())
    assert not any(m.get("intent") for m in ordinary)
    assert len(ordinary_messages()) >= 300


def test_without_a_trained_classifier_the_crisis_patterns_still_decide(tmp_path):
    from rasa.engine.graph import ExecutionContext, GraphSchema
    from rasa.engine.storage.local_model_storage import LocalModelStorage
    from rasa.engine.storage.resource import Resource

    from nlp.crisis import CrisisGuard

    context = ExecutionContext(GraphSchema({}), node_name="crisis_guard")
    guard = CrisisGuard.load(CrisisGuard.get_default_config(), LocalModelStorage(tmp_path), Resource("none"), context)
    [crisis, question] = guard.process(
        [featured("i want to kill myself", None, [1, 0, 0]), featured("is nkt safe", None, [1, 0, 0])]
    )
    assert crisis.get("intent")["name"] == "crisis" and question.get("intent") is None
