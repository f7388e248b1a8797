"""Small talk gets a reply that fits what was said, whatever the turn."""

import pytest

from vidrec.dialog.replies import say, small_talk


@pytest.mark.parametrize("text, kind", [
    ("hello", "greeting"), ("hey there", "greeting"), ("Good morning!", "greeting"), ("你好", "greeting"),
    ("在吗", "greeting"), ("thanks", "thanks"), ("thank you so much!", "thanks"), ("谢谢你", "thanks"),
    ("ok thx", "thanks"), ("bye", "bye"), ("that's all, thanks", "thanks"), ("拜拜", "bye"),
    ("recommend me a gift", "ideas"), ("any suggestions?", "ideas"), ("想给女朋友买个礼物", "ideas"),
    ("asdf qwer", "unclear"), ("🙂", "unclear"), ("", "unclear"),
])
def test_small_talk_kinds(text, kind):
    assert small_talk(text) == kind


def test_every_small_talk_reply_exists_in_both_languages():
    for kind in ("greeting", "thanks", "bye", "ideas", "unclear"):
        zh, en = say(kind, "zh", 0), say(kind, "en", 3)
        assert zh and en and zh != en
