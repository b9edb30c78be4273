"""What a sentence of a 答弁 is about. An answer turn takes the member's questions one by one, each opened by an
announcement (「次に、無電柱化の推進についてでございますが、」); the sentences after it, until the next one, are about
that topic even where they do not repeat its words (「電柱を減らす取り組みにつきましては…」). A draft's sentence
must share the question's focus, in itself or in the topic it was said under.
"""

from __future__ import annotations

import re

# an announcement that opens the answer to one question of the turn
_ANNOUNCES = re.compile(
    r"(?:^|(?<=[。\n]))[\s\u3000]*(?:(?:まず|初めに|はじめに|最初に|次に|続いて|続きまして|最後に|さらに|また)、)?"
    r"(?P<topic>[^。]{2,120}?)(?:について|に関して|に関しまして|につきまして|の件|に関するお尋ね|へのお尋ね|のお尋ね|"
    r"に関するご質問|へのご質問|のご質問|のご提案)(?:でございますが|でありますが|ですが|でございますけれども)、")


def announced_topic(text_before: str) -> str:
    """The topic last announced in `text_before` (the turn's text before a sentence), or "" when none is."""
    last = ""
    for found in _ANNOUNCES.finditer(text_before):
        last = found.group("topic")
    return last
