"""The small-talk intents are listed once (config.yml's SmallTalkGuard) and answered, sure or
unsure, as their rules in data/rules.yml answer them."""

import pytest
import yaml

from actions.small_talk import ROOT, small_talk

pytestmark = pytest.mark.unit


def test_the_small_talk_intents_are_config_ymls_and_answered_as_their_rules_answer_them():
    config = yaml.safe_load((ROOT / "config.yml").read_text())
    [guard] = [c for c in config["pipeline"] if c["name"] == "nlp.components.SmallTalkGuard"]
    talk = small_talk()
    assert list(talk) == guard["intents"]
    assert (talk["greet"].response, talk["greet"].offers_topics) == ("utter_greet", True)
    assert (talk["thanks"].response, talk["thanks"].offers_topics) == ("utter_welcome", False)
    domain = yaml.safe_load((ROOT / "domain.yml").read_text())
    assert {t.response for t in talk.values()} <= set(domain["responses"])


def test_a_small_talk_intent_without_its_rule_stops_the_start_naming_the_rules_file(tmp_path):
    config = yaml.safe_load((ROOT / "config.yml").read_text())
    for component in config["pipeline"]:
        if component["name"] == "nlp.components.SmallTalkGuard":
            component["intents"].append("chitchat_weather")
    (tmp_path / "config.yml").write_text(yaml.safe_dump(config))
    with pytest.raises(ValueError, match=r"rules\.yml: the small-talk intent 'chitchat_weather'"):
        small_talk.__wrapped__(tmp_path / "config.yml", ROOT / "data" / "rules.yml")
