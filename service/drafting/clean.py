"""Sentences of past answers made fit for a draft: the speech's discourse openers (「まず、」「次に、」「…について
でございますが、」) are trimmed — the quote's span shrinks to what is kept, the text inside it is never edited —,
sentences that only announce a topic (「…についてのお尋ねでございます。」) or only make sense inside their speech
(「今お答えしたとおり」, another member named) are no content, and relative time words of an old source (本日, 現在,
今年度) are dated with the source's date.
"""

from __future__ import annotations

import re
from dataclasses import replace

from kotae.jdates import wareki
from service.compose.extractive import bigram_jaccard
from service.compose.sentences import Candidate

# a connective that orders the speech's topics: 「まず、」「次に、」「最後に、」「さらに、」
_CONNECTIVE = (r"(?:まず|初めに|はじめに|最初に|次に|次いで|続いて|続きまして|最後に|さらには|さらに|また|加えて|"
               r"加えまして|なお|そして|このほか|そのほか|あわせて|併せて|あわせまして|併せまして|一方で?|ところで|それから|"
               r"しかしながら|しかし|このため|そのため|こうしたことから|そこで)、")
# the topic the answer turns to, as it is announced: 「…についてでございますが、」「…の件でありますが、」
_ANNOUNCED = (r"[^。]{0,100}?(?:について|に関して|に関しまして|につきまして|の件|に関するお尋ね|へのお尋ね|"
              r"のお尋ね|に関するご質問|へのご質問|のご質問|のご提案|へのご提案)"
              r"(?:でございますが|でありますが|ですが|でございますけれども)、")
_SHORT = r"(?:今後|現在|次|これまで|まず|今回)(?:でございますが|でありますが|ですが|につきましては|については)、"
_OPENER = re.compile(rf"(?:{_CONNECTIVE}|{_ANNOUNCED}|{_SHORT})")
# a sentence that only announces a topic or a question:
# 「…についてのお尋ねでございます。」「…とのご質問がございました。」
_ANNOUNCEMENT = re.compile(
    r"(?:お尋ね|ご質問|ご提案|ご意見|ご指摘|ご要望|お問い合わせ)(?:でございます|でございました|であります|です|がございました|"
    r"がありました|をいただきました|をいただいております)[。」]*$"
    r"|^[^。]{0,80}(?:について|に関して|につきまして)(?:お答えいたします|お答え申し上げます|申し上げます|でございます|"
    r"であります|です|ご説明いたします)[。」]*$"
    # a bare noun phrase that names the next topic: 「感染症に対する組織力の強化でございます。」
    r"|^[^はがをもで。、]{1,28}(?:でございます|であります)[。」]*$")
# words whose meaning depends on when they were said
RELATIVE_TIME = re.compile(r"本日|今日|現在|現時点|今年度|本年度|今年|本年|先日|昨日|今月|先月|今週|今般|"
                           r"このたび|昨年度|昨年|来年度|来年|今回")
_MIN_KEPT = 12  # what is left after trimming must still be a statement
# what only makes sense inside the speech it was said in: 「今お答えしたとおり」, another member named
# (「鈴木議員ご指摘のとおり」 in a draft for someone else)
_SPEECH_BOUND = re.compile(r"(?:今|先ほど|さきほど|既に|すでに)(?:も)?(?:お答え|申し上げ|ご答弁|答弁)|"
                           r"触れられ(?:ました|た)|お話に?(?:ありました|のありました|あった)|"  # the member's speech
                           r"[一-龥]{1,4}(?<!会)議員(?:ご指摘|のご指摘|ご提案|のご提案|のお話|ご質問|のご質問|から|が(?:ご|お))")


def opener_length(text: str) -> int:
    """How many characters at the start of `text` are discourse openers (0 when none; several in a row count:
    「次に、…についてでございますが、」)."""
    at = 0
    while True:
        found = _OPENER.match(text, at)
        if found is None or found.end() == at:
            return at
        at = found.end()


def is_announcement(text: str) -> bool:
    """Whether a sentence only announces a topic or a question (「…についてのお尋ねでございます。」)."""
    return _ANNOUNCEMENT.search(text.strip()) is not None


def speech_bound(text: str) -> bool:
    """Whether a sentence only makes sense inside its speech: 「今お答えしたとおり」, 「鈴木議員ご指摘のとおり」."""
    return _SPEECH_BOUND.search(text) is not None


def trimmed(cand: Candidate) -> Candidate | None:
    """`cand` without its discourse openers (its span starting where the content does), or None when nothing
    but an announcement is left."""
    if is_announcement(cand.display) or speech_bound(cand.display):
        return None
    quote = cand.quote
    skip = _leading_blank(quote)
    cut = opener_length(_unwrapped(quote[skip:]))
    if cut == 0:
        return cand
    at = skip + _source_offset(quote[skip:], cut)
    at += _leading_blank(quote[at:])
    if len(quote) - at < _MIN_KEPT or is_announcement(quote[at:]):
        return None
    list_from = None if cand.list_from is None else cand.list_from - at
    if list_from is not None and list_from < 0:
        return cand  # the opener runs into the list: keep the sentence whole
    return replace(cand, start=cand.start + at, quote=quote[at:], list_from=list_from)


# the note `dated_note` adds after a sentence (outside its citation's span)
_NOTE = re.compile(r"（(?:令和|平成)?[元\d]+年\d+月\d+日時点）$")


def without_note(text: str) -> str:
    """A draft sentence without the date note `dated_note` gave it: the quoted text as the source has it."""
    return _NOTE.sub("", text)


def dated_note(text: str, date: str | None) -> str:
    """「（令和2年6月2日時点）」 for a sentence that says 本日, 現在, 今年度… in a source of `date` ("" otherwise)."""
    if not date or not RELATIVE_TIME.search(text):
        return ""
    return f"（{wareki(date)}時点）"


def _leading_blank(text: str) -> int:
    return len(text) - len(text.lstrip(" \t\r\n\u3000"))


def _unwrapped(text: str) -> str:
    """`text` with line breaks and the blanks around them removed (a PDF's wrapped lines), as the openers are
    matched."""
    return re.sub(r"[ \t\u3000]*\n[ \t\u3000]*", "", text)


def _source_offset(text: str, cut: int) -> int:
    """The offset in `text` of character `cut` of `_unwrapped(text)`."""
    kept = 0
    i = 0
    while i < len(text) and kept < cut:
        if text[i] in " \t\u3000\n" and re.match(r"[ \t\u3000]*\n", text[i:]):
            i += len(re.match(r"[ \t\u3000]*\n[ \t\u3000]*", text[i:]).group())  # type: ignore[union-attr]
            continue
        kept += 1
        i += 1
    return i


_ENDING_CHARS = 24  # how much of a sentence's end says what was done: 「…方針を策定し、区市町村に周知をいたしました。」
_SAME_ENDING = 0.7


def same_ending(a: str, b: str) -> bool:
    """Whether two long sentences end saying the same act — one report from two sittings, told with other details
    (「…留意事項をまとめた対処方針を策定し、区市町村に周知をいたしました。」 and 「…対策方針を策定し、…」)."""
    if min(len(a), len(b)) < 2 * _ENDING_CHARS:
        return False
    return bigram_jaccard(without_note(a)[-_ENDING_CHARS:], without_note(b)[-_ENDING_CHARS:]) >= _SAME_ENDING

