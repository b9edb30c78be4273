"""Personal-information guard: finds マイナンバー, phone numbers, e-mail addresses, postal addresses, birth dates
and personal names in Japanese text, masks them, and describes what was found without repeating it.

It runs before any text leaves the building for an external language model (the city's guidelines forbid
sending personal information or マイナンバー to an external AI). It is regex-based and knows no dictionary of
names, so it is a safety net, not a proof: it leans towards flagging, except for forms that are public record
in the documents Kotae serves (council members written 〇〇君 / 〇〇議員 / 十二番〇〇さん, officials written
〇〇市長 / 〇〇部長, bare municipality names), which it leaves alone on purpose.

Every pattern runs on a normalised copy of the text (`normalise`): invisible characters dropped, full-width and
other compatibility forms of ASCII made ASCII, dash look-alikes "-", spaces " ", and between digits a separator
written with spaces, dots or middle dots made one "-", "." or " " (spaced-out digits joined, a written-out run
of kanji digits read as digits), so a disguised 1234・5678・9012, 0 9 0 - 8 7 6 5 - 4 3 2 1 or 〇九〇… is
found. Every find is mapped back: offsets index the original text, and a find covers the whole original span,
invisible characters inside it included.
"""

from __future__ import annotations

import re
import unicodedata
from bisect import bisect_left, bisect_right, insort
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass

__all__ = ["KINDS", "Finding", "Normalised", "describe", "find_personal_info", "mask", "my_number_check_digit",
           "normalise"]

# kind -> the Japanese label used in placeholders and messages. The order is the order `describe` reports in.
KINDS: dict[str, str] = {
    "my_number": "マイナンバー",
    "phone": "電話番号",
    "email": "メールアドレス",
    "postal_address": "住所",
    "birth_date": "生年月日",
    "person_name": "氏名",
}

# When two finds overlap, the more specific kind wins (a 12-digit マイナンバー is not also a phone number).
_PRIORITY = {"my_number": 0, "email": 1, "phone": 2, "birth_date": 3, "postal_address": 4, "person_name": 5}

_PLACEHOLDER = "［個人情報：{label}］"


@dataclass(frozen=True)
class Finding:
    """One piece of personal information: its kind (a key of `KINDS`), where it is (`text[start:end]`) and
    the matched text itself. Never log or display `text`: it is the personal information."""

    kind: str
    start: int
    end: int
    text: str

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"unknown kind {self.kind!r}; expected one of {', '.join(KINDS)}")
        if not 0 <= self.start < self.end or self.end - self.start != len(self.text):
            raise ValueError(f"bad span {self.start}..{self.end} for a text of {len(self.text)} characters")


# ------------------------------------------------------------------------------------------ character classes

_K = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff々〆ヶ"  # kanji (CJK unified, ext. A, compatibility) and 々〆ヶ
_HIRA = "ぁ-ゖ"
_KATA = "ァ-ヴー"
_SPACES = " \u3000"
_KANJI_NUM = "〇一二三四五六七八九十百千"


# ------------------------------------------------------------------------------------------ normalisation

# Characters that show nothing (zero-width spaces and joiners, word joiner, BOM, soft hyphen, direction marks,
# variation selectors, tag characters): dropped, so 1234<U+200B>5678… is read as the number it shows.
_INVISIBLE = re.compile(
    "[\u00ad\u034f\u061c\u180e\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u206f\ufe00-\ufe0f\ufeff"
    "\U000e0001\U000e0020-\U000e007f\U000e0100-\U000e01ef]"
)
_DASHES = "‐‑‒–—―−─━⁃˗﹘﹣ｰ"


def _fold_table() -> dict[int, int]:
    """Full-width, mathematical and small forms of ASCII letters, digits and address signs to ASCII, every kind
    of space to " ", dash look-alikes to "-": one character for one. Circled (①) and superscript (²) digits
    are left alone: they number lists and footnotes, and read as a digit they would glue onto a phone number."""
    table: dict[int, int] = {}
    ranges = [range(0x00A0, 0x00A1), range(0x2000, 0x2030), range(0x205F, 0x2060), range(0x3000, 0x3001),
              range(0xFE50, 0xFE70), range(0xFF01, 0xFF5F), range(0x1D400, 0x1D800)]
    for code in (c for r in ranges for c in r):
        tag = unicodedata.decomposition(chr(code)).split(" ")[0]
        plain = unicodedata.normalize("NFKC", chr(code))
        if tag in ("<wide>", "<font>", "<small>", "<noBreak>", "<compat>") and len(plain) == 1 and plain.isascii():
            table[code] = ord(plain)
    table.update({ord(c): ord("-") for c in _DASHES})
    return table


_FOLD_TABLE = _fold_table()

# Between two digits: a separator of one to three characters (spaces, at most one dash, dot or middle dot;
# the long-vowel mark ー typed for a hyphen counts as a dash), and runs of 10 to 12 positional kanji digits
# (〇九〇八七六五四三二一), which are numbers written out, not numerals (a numeral has 十, 百, 千 in it).
_SEP_CHARS = " \\-.・･·•∙‧ー"
_NUMBER_RUN = re.compile(rf"[0-9](?:[{_SEP_CHARS}]{{1,3}}(?=[0-9])|[0-9])*")
_KANJI_DIGITS = "〇零一二三四五六七八九"
_KANJI_RUN = re.compile(
    rf"(?<![{_KANJI_DIGITS}十百千万億兆])[{_KANJI_DIGITS}](?:[{_SEP_CHARS}]{{0,3}}[{_KANJI_DIGITS}])+"
    rf"(?![{_KANJI_DIGITS}十百千万億兆])"
)
_KANJI_TO_DIGIT = str.maketrans({c: str(i) for i, c in enumerate("〇一二三四五六七八九")} | {"零": "0"})
_DASH_SEPS = "-ー"
_GROUP_OR_SEPARATOR = re.compile(r"[0-9]+|[^0-9]+")
# Spaces either side of @ between address characters (hanako @ example.jp).
_AT_SPACES = re.compile(r"(?<=[A-Za-z0-9._%+\-]) {1,2}(?=@)|(?<=@) {1,2}(?=[A-Za-z0-9])")


@dataclass(frozen=True)
class Normalised:
    """A normalised copy of a text: `text`, and for each of its characters where it came from in the original
    (`origin[i]`, plus one entry for the end). Spans of `text` map back with `span`."""

    text: str
    origin: tuple[int, ...]

    def span(self, start: int, end: int) -> tuple[int, int]:
        """The original span of `text[start:end]`: from its first character's origin to past its last one's, so
        invisible characters and dropped spaces inside it are covered."""
        return self.origin[start], self.origin[end - 1] + 1


_Piece = list[tuple[str, int]]  # characters of a rewritten stretch, each with its index in the text rewritten


def normalise(text: str) -> Normalised:
    """`text` as the patterns read it (see the module's docstring), with the map back to `text`."""
    invisible = {m.start() for m in _INVISIBLE.finditer(text)}
    if invisible:
        origin = [i for i in range(len(text)) if i not in invisible]
        folded = "".join(text[i] for i in origin).translate(_FOLD_TABLE)
    else:
        origin, folded = list(range(len(text))), text.translate(_FOLD_TABLE)
    origin.append(len(text))
    for pattern, rewrite in ((_KANJI_RUN, _kanji_number), (_NUMBER_RUN, _number_run), (_AT_SPACES, _dropped)):
        folded, origin = _rewritten(folded, origin, pattern, rewrite)
    return Normalised(folded, tuple(origin))


def _rewritten(text: str, origin: list[int], pattern: re.Pattern[str],
               rewrite: Callable[[str], _Piece | None]) -> tuple[str, list[int]]:
    """`text` with each match of `pattern` replaced by `rewrite(match)` (None: left as it is), and its origins."""
    parts: list[str] = []
    new_origin: list[int] = []
    pos = 0
    for m in pattern.finditer(text):
        piece = rewrite(m.group())
        if piece is None:
            continue
        parts.append(text[pos:m.start()])
        new_origin += origin[pos:m.start()]
        parts.append("".join(c for c, _ in piece))
        new_origin += [origin[m.start() + i] for _, i in piece]
        pos = m.end()
    if not parts:
        return text, origin
    parts.append(text[pos:])
    new_origin += origin[pos:]
    return "".join(parts), new_origin


def _kanji_number(run: str) -> _Piece | None:
    """A run of 10 to 12 kanji digits (not all one digit: 〇〇〇〇 is a blank to fill in) in ASCII digits."""
    digits = [c for c in run if c in _KANJI_DIGITS]
    if not 10 <= len(digits) <= 12 or len(set(digits)) == 1:
        return None
    return [(c.translate(_KANJI_TO_DIGIT), i) for i, c in enumerate(run)]


def _number_run(run: str) -> _Piece | None:
    """Digits with their separators made plain: each separator one "-", "." or " " (spaces around a dash or dot
    dropped), and single digits spaced out (0 9 0) joined. None when nothing changes."""
    # digit groups and separators, each with where it starts in `run`
    tokens = [(m.group(), m.start()) for m in _GROUP_OR_SEPARATOR.finditer(run)]
    piece: _Piece = []
    for n, (token, at) in enumerate(tokens):
        if token[0].isdigit():
            piece += [(c, at + i) for i, c in enumerate(token)]
            continue
        hard = [i for i, c in enumerate(token) if c != " "]
        if len(hard) > 1:
            piece += [(c, at + i) for i, c in enumerate(token)]  # 1--2, 1.-2: not a separator we know
        elif hard:
            piece.append(("-" if token[hard[0]] in _DASH_SEPS else ".", at + hard[0]))
        elif not _spaced_out(tokens, n):
            piece.append((" ", at))
    return None if "".join(c for c, _ in piece) == run else piece


def _spaced_out(tokens: list[tuple[str, int]], n: int) -> bool:
    """Whether the space at `tokens[n]` is inside a chain of at least three single digits separated by spaces."""
    def single(k: int) -> bool:
        return 0 <= k < len(tokens) and len(tokens[k][0]) == 1 and tokens[k][0].isdigit()

    def space(k: int) -> bool:
        return 0 <= k < len(tokens) and not tokens[k][0].strip()

    if not (single(n - 1) and single(n + 1)):
        return False
    return (space(n - 2) and single(n - 3)) or (space(n + 2) and single(n + 3))


def _dropped(_match: str) -> _Piece:
    """Nothing: the match is left out."""
    return []


def _is_hiragana(ch: str) -> bool:
    return "ぁ" <= ch <= "ゖ"


def _is_kana(ch: str) -> bool:
    return "ぁ" <= ch <= "ゖ" or "ァ" <= ch <= "ヴ" or ch == "ー"


# ------------------------------------------------------------------------------------------ マイナンバー

# 12 digits, bare or in 4-4-4 groups with one kind of separator (hyphen, dot, space; after normalising, so also
# a middle dot, an ideographic space or kanji digits written out), not part of a longer run of digits. A number
# whose check digit is wrong is not a マイナンバー (a random 12-digit number still passes one time in eleven),
# unless a label says it is one (マイナンバー：1234-5678-9012, mistyped or made up, is still meant as one). Leaves
# out: other groupings (3-4-5) and kanji numerals (千二百…).
_MY_NUMBER = re.compile(r"(?<![0-9])(?<![0-9][-.])([0-9]{4})([-. ]?)([0-9]{4})\2([0-9]{4})(?![0-9]|[-.][0-9])")
# The label, then at most a few characters before the number (マイナンバー（個人番号）：, 個人番号は, My Number: ).
_MY_NUMBER_LABEL = re.compile(r"(?:マイナンバー|個人番号|my ?number)[^0-9\n。]{0,12}\Z", re.IGNORECASE)


def my_number_check_digit(first_eleven: str) -> int:
    """The check digit of a マイナンバー from its first 11 digits (the official algorithm: weights 2..7 then
    2..6 from the right, remainder mod 11, 0 when the remainder is 0 or 1, else 11 - remainder)."""
    if len(first_eleven) != 11 or not first_eleven.isascii() or not first_eleven.isdigit():
        raise ValueError("expected exactly 11 ASCII digits")
    total = 0
    for n, digit in enumerate(reversed(first_eleven), start=1):
        total += int(digit) * (n + 1 if n <= 6 else n - 5)
    remainder = total % 11
    return 0 if remainder <= 1 else 11 - remainder


def _my_numbers(folded: str) -> Iterator[tuple[str, int, int]]:
    for m in _MY_NUMBER.finditer(folded):
        digits = m.group(1) + m.group(3) + m.group(4)
        labelled = _MY_NUMBER_LABEL.search(folded, max(0, m.start() - 30), m.start()) is not None
        if labelled or my_number_check_digit(digits[:11]) == int(digits[11]):
            yield "my_number", m.start(), m.end()


# ------------------------------------------------------------------------------------------ phone numbers

# Japanese numbers: 0 + area code, local and subscriber parts, 10 digits (fixed lines, 0120, 0570) or 11 digits
# (050/070/080/090, 0800), written with one kind of separator (hyphen, dot or space), with the area code in
# parentheses (03(1234)5678, (03)1234-5678), run together (0312345678), or as +81. Not preceded by a digit or
# a hyphen (so not the tail of a longer number) and not followed by more digits: amounts (14,564,458千円),
# years and dates never start with 0 and 10/11 digits; a 12-digit マイナンバー has too many digits. Leaves out:
# numbers written in kanji, extensions (内線2451), and 4-digit-area numbers missing their leading 0.
_PHONE = re.compile(
    r"(?<![0-9\-])(?<![0-9]\.)(?:"
    r"\+81[-. ]?(?:\(0\))?[-. ]?[1-9][0-9]{0,3}[-. ]?[0-9]{1,4}[-. ]?[0-9]{3,4}"
    r"|\(0[0-9]{1,4}\)[- ]?[0-9]{1,4}[- ]?[0-9]{3,4}"
    r"|0[0-9]{1,4}\([0-9]{1,4}\)[0-9]{3,4}"
    r"|0[0-9]{1,4}(?P<sep>[-. ])[0-9]{1,4}(?P=sep)[0-9]{3,4}"
    r"|0[0-9]{9,10}"
    r")(?![0-9]|[-.,][0-9])"
)
_NON_DIGIT = re.compile(r"[^0-9]")


def _phones(folded: str) -> Iterator[tuple[str, int, int]]:
    for m in _PHONE.finditer(folded):
        digits = _NON_DIGIT.sub("", m.group())
        if m.group().startswith("+"):
            digits = "0" + digits[2:].removeprefix("0")
        if digits[1] == "0":
            continue  # 00 is the international prefix, not an area code
        if len(digits) == 10 or (len(digits) == 11 and digits[1] in "5789" and digits[2] == "0"):
            yield "phone", m.start(), m.end()


# ------------------------------------------------------------------------------------------ e-mail addresses

# ASCII addresses (local@domain.tld), full-width ones after folding. Starts only where a run of address
# characters starts, so a long ASCII run is scanned once. Leaves out obfuscated forms (yamada[at]example.jp)
# and non-ASCII local parts.
_EMAIL = re.compile(
    r"(?<![A-Za-z0-9._%+\-])[A-Za-z0-9][A-Za-z0-9._%+\-]*@(?:[A-Za-z0-9](?:[A-Za-z0-9\-]*[A-Za-z0-9])?\.)+"
    r"[A-Za-z]{2,24}(?![A-Za-z0-9\-])"
)


def _emails(folded: str) -> Iterator[tuple[str, int, int]]:
    for m in _EMAIL.finditer(folded):
        yield "email", m.start(), m.end()


# ------------------------------------------------------------------------------------------ postal addresses

# 〒123-4567 / 〒1234567, and a code after the label 郵便番号. Leaves out bare 123-4567 (too many other things
# look like that).
_POSTAL_CODE = re.compile(
    r"〒[ \u3000]?[0-9]{3}-?[0-9]{4}(?![0-9])|(?<=郵便番号)[ \u3000]*:?[ \u3000]*[0-9]{3}-[0-9]{4}(?![0-9])"
)

# The lot part of an address, which is what makes it personal: N丁目 (N番(地) (N号)), N番地(のN), N番N号, N-N-N,
# N in digits or kanji numerals. Its presence is what separates an address from a bare municipality name.
_NUM = rf"(?:[0-9]{{1,5}}|[{_KANJI_NUM}]{{1,6}})"
_LOT = (
    rf"{_NUM}丁目(?:[ \u3000]?{_NUM}(?:番地?|-)(?:[ \u3000]?{_NUM}号?)?)?"
    rf"|{_NUM}番地(?:の?{_NUM}号?)?"
    rf"|{_NUM}番{_NUM}号"
    r"|[0-9]{1,5}-[0-9]{1,5}(?:-[0-9]{1,5})?"
)
_LOT_HINT = re.compile(r"丁目|番地|番[0-9〇一二三四五六七八九十百千]+号|[0-9]-[0-9]")
_PLACE = f"[{_K}{_KATA}]"
# A hiragana municipality name (みずほ野市) starts a word: after a particle (住所はみずほ野市) or a non-letter,
# never inside a phrase (目白通りから豊島区 is 豊島区).
_HIRA_WORD_START = f"(?:(?<![{_HIRA}{_K}])|(?<=[はがをにでともやへの]))(?![はがをにでともやへの])"
# [prefecture] + municipality (…市/区/町/村, optionally …郡 before it and a ward after it; hiragana names such
# as みずほ野市) + town (no particles but が/の: 緑が丘, 井の頭) + lot. A lot preceded by 第 is an article or a
# bill number (条例第4号), not an address.
# Leaves out: a bare 南国市 or 東京都 (no lot), building names and room numbers after the lot, addresses in
# Latin letters. A town ending in 町 passes for a municipality (緑町三丁目 is found).
_ADDRESS = re.compile(
    rf"(?P<pref>北海道|東京都|京都府|大阪府|[{_K}]{{2,3}}県)?"
    rf"(?P<muni>(?:{_PLACE}{{1,6}}郡)?(?:{_PLACE}{{1,7}}?|{_HIRA_WORD_START}[{_HIRA}]{{2,6}}[{_K}]{{0,2}})"
    rf"[市区町村](?:{_PLACE}{{1,4}}?区)?)"
    rf"(?P<town>(?:[{_K}{_KATA}]|(?![やをにでへはもと])[{_HIRA}]){{0,12}}?)"
    rf"(?<!第)(?P<lot>{_LOT})(?![0-9])"
)
# A town and a full lot with no municipality (緑町三丁目5番8号, 大埔甲2301番地): two levels of lot (N丁目N番…,
# N番N号) or N番地 are an address on their own. The town is kanji/katakana only, from the start of its word.
# Leaves out a single level without a municipality (緑町三丁目, 3-5-8).
_STRONG_LOT = (
    rf"{_NUM}丁目[ \u3000]?{_NUM}(?:番地?|-)(?:[ \u3000]?{_NUM}号?)?"
    rf"|{_NUM}番地(?:の?{_NUM}号?)?"
    rf"|{_NUM}番{_NUM}号"
)
_TOWN_LOT = re.compile(rf"(?<!{_PLACE})(?P<town>{_PLACE}{{1,10}}?)(?<!第)(?P<lot>{_STRONG_LOT})(?![0-9])")
# Labels glued to an address that the municipality or town part above swallows (住所南国市… -> 南国市…).
_ADDRESS_LEAD = re.compile(r"^.*?(?:現住所|住所|居所|所在地|在住)")
# 住所：<value> on forms, for addresses written without a municipality (住所：緑町3-5-8); the value must hold a
# digit. Leaves out values split over lines.
_ADDRESS_LABEL = re.compile(
    rf"(?:現住所|住所|居所)[ \u3000]*:[ \u3000]*(?P<v>[{_K}{_HIRA}{_KATA}0-9\-〇]{{2,40}})"
)
_TRAILING_HIRAGANA = re.compile(rf"[{_HIRA}]+\Z")


def _addresses(folded: str) -> Iterator[tuple[str, int, int]]:
    for m in _POSTAL_CODE.finditer(folded):
        start = m.start() + len(m.group()) - len(m.group().lstrip(" \u3000:"))
        yield "postal_address", start, m.end()
    for lo, hi in _windows(_LOT_HINT.finditer(folded), 40, 20, len(folded)):
        for pattern in (_ADDRESS, _TOWN_LOT):  # only near a lot: the full patterns are costly everywhere
            for m in pattern.finditer(folded, lo, hi):
                span = _address_span(m)
                if span is not None:
                    yield "postal_address", *span
    for m in _ADDRESS_LABEL.finditer(folded):
        value = _TRAILING_HIRAGANA.sub("", m.group("v"))
        if any(c.isdigit() for c in value):
            yield "postal_address", m.start("v"), m.start("v") + len(value)


def _windows(hints: Iterator[re.Match[str]], before: int, after: int, size: int) -> list[tuple[int, int]]:
    """The spans around `hints` (`before` characters before each, `after` after), overlapping ones merged."""
    windows: list[tuple[int, int]] = []
    for hint in hints:
        lo, hi = max(0, hint.start() - before), min(size, hint.end() + after)
        if windows and lo <= windows[-1][1]:
            windows[-1] = (windows[-1][0], hi)
        else:
            windows.append((lo, hi))
    return windows


def _address_span(m: re.Match[str]) -> tuple[int, int] | None:
    lot, town = m.group("lot"), m.group("town")
    if "一丁目一番地" in m.group():
        return None  # the idiom 「〇〇の一丁目一番地」 (top priority), far more common than the address
    if town and all(c in _KANJI_NUM for c in town):
        return None  # 三十一番地 is a number, not a town and a lot
    if lot.endswith("番地") and m.string[m.end():m.end() + 1] == "区":
        return None  # 三十一番地区: a district number
    if "-" in lot and "丁目" not in lot and (not town or (lot.count("-") == 1 and town[-1] not in "町丁条")):
        return None  # a bare N-N after a city is a section or table number; N-N needs a town ending in 町
    start = m.start()
    groups = m.groupdict()
    head = groups.get("muni") or town
    if not groups.get("pref"):
        lead = _ADDRESS_LEAD.match(head)
        if lead and len(head) - lead.end() >= 2:
            start += lead.end()
    return start, m.end()


# ------------------------------------------------------------------------------------------ birth dates

_DAY = rf"(?:[0-9]{{1,2}}|[{_KANJI_NUM}]{{1,3}})"
# 西暦 (1980年4月1日, 1980/4/1, 1980-04-01, 1980.4.1) and 和暦 (昭和45年3月2日, 昭和四十五年三月二日, 平成元年…,
# S45.3.2, 昭和45.3.2). Leaves out dates without a day and years alone (1980年生まれ, 満45歳).
_DATE = (
    r"(?:19|20)[0-9]{2}[ \u3000]?(?:年[ \u3000]?[0-9]{1,2}[ \u3000]?月[ \u3000]?[0-9]{1,2}[ \u3000]?日"
    r"|[/.\-][0-9]{1,2}[/.\-][0-9]{1,2}(?![0-9]))"
    rf"|(?:明治|大正|昭和|平成|令和)[ \u3000]?(?:[0-9]{{1,2}}|[{_KANJI_NUM}]{{1,3}}|元)[ \u3000]?年"
    rf"[ \u3000]?{_DAY}[ \u3000]?月[ \u3000]?{_DAY}[ \u3000]?日"
    r"|(?:(?<![A-Za-z])[MTSHR]|明治|大正|昭和|平成|令和)[ \u3000]?[0-9]{1,2}[./-][0-9]{1,2}[./-][0-9]{1,2}(?![0-9])"
)
# A date right after 生年月日 / 誕生日 / 出生日 / 生まれ (with an optional (西暦) and ：/は; on the same line or, as
# on a form, the next), or right before 生まれ / 生 / (生) / 出生 (昭和45年3月2日生). 生 must end the word, so
# 4月1日生活… is not a birth date. The find is the date only; the label stays. Leaves out ordinary dates
# (meetings, plans, 施行日) and a birth date phrased at a distance (誕生日は、たしか1980年の…).
_BIRTH_BEFORE = re.compile(
    rf"(?:生年月日|誕生日|出生日|生まれ)[ \u3000]*(?:\([^)\n]{{1,8}}\))?[ \u3000]*(?::|は)?[ \u3000]*\n?[ \u3000]*"
    rf"(?P<d>{_DATE})"
)
_BIRTH_AFTER = re.compile(rf"(?P<d>{_DATE})[ \u3000]?(?:\(生\)|生まれ|出生|生(?![{_K}{_HIRA}]))")


def _birth_dates(folded: str) -> Iterator[tuple[str, int, int]]:
    for pattern in (_BIRTH_BEFORE, _BIRTH_AFTER):
        for m in pattern.finditer(folded):
            yield "birth_date", m.start("d"), m.end("d")


# ------------------------------------------------------------------------------------------ personal names

# A name after a form label (氏名：鈴木一郎, 申請者氏名: 山田 花子, 相談者名：佐藤はなこ, 本人：…) with an optional
# reading in parentheses; a trailing honorific or copula is not part of it. Leaves out labels without ：/: (the
# guidelines' own 「氏名、住所、生年月日」 lists) and names on the next line.
_NAME_LABEL = re.compile(
    r"(?:氏名|お名前|名前|申請者|相談者|届出人|代理人|本人)(?:氏名|名)?(?:\([^)\n]{1,8}\))?[ \u3000]*:[ \u3000]*"
    rf"(?P<v>[{_K}{_HIRA}{_KATA}A-Za-z]{{1,12}}(?:[ \u3000][{_K}{_HIRA}{_KATA}A-Za-z]{{1,12}})?"
    rf"(?:[ \u3000]?\([{_HIRA}{_KATA}{_SPACES}]{{1,20}}\))?)"
)
_LABEL_TAIL = re.compile(
    r"(?:様|さん|殿|氏|君|くん|ちゃん)?(?:です|でした|と申します|といいます|が|は|を|に|と|も|で)?\Z"
)
_LABEL_NON_NAMES = {"不明", "なし", "無し", "未記入", "同上", "省略", "記入例", "空欄", "匿名", "非公開"}

# The honorifics that make a preceding name personal. 君 / 議員 / 市長 are deliberately not among them: in
# minutes they mark members and officials, whose names are public record.
_HONORIFIC = re.compile(r"様|さん|氏|殿")
# Honorific characters that begin another word here: 様式 様子 様相 多様性, 氏名 氏族, 殿堂 殿下.
_NOT_HONORIFIC_BEFORE = {"様": "式子相態々性化変", "氏": "名族神子家", "殿": "堂下様方中舎"}
# Characters before 様 / 殿 that make them part of a word: 多様, 同様, 仕様, 模様, 異様; 正殿, 本殿, 宮殿, 御殿, 沈殿.
_NOT_HONORIFIC_AFTER = {"様": "多同仕模異", "殿": "正本宮神拝御社仏寝湯沈貴宝"}

# A name inside a run with one of these is a member or an official in a public record (十二番桑原美穂さん,
# 調査部長長嶺浩子さん, 包括外部監査人久保直生さん), or right after a title or a seat number (東京都議会議長　石川
# 良一殿, also across a line break; 六十一番のがみ純子さん): not flagged.
_TITLES = (
    r"議員|議長|知事|(?:市|区|町|村|部|局|課|室|所|署|次|本部|教育|会|社|院|校|園|館|係|班|総|事務局|委員)長"
    r"|理事|参事|委員|大臣|総理|長官|監査|参与|秘書|主幹|管理者"
)
_OFFICIAL = re.compile(rf"{_TITLES}|[{_KANJI_NUM}]番")
_OFFICIAL_BEFORE = re.compile(rf"(?:{_TITLES})\s*\Z|[{_KANJI_NUM}]番[{_HIRA}{_KATA}{_SPACES}]{{0,6}}\Z")
# A label or role glued before the name (相談者山田太郎さん, 担当山田さん, お客様山田様): the name starts after it.
_PREFIX_END = set("者員様殿係課当君宛")
# Single-kanji surnames common enough to flag on their own (林さん); any other single kanji before 様/さん is
# a common noun (皆様, 奥さん, 娘さん, 神様).
_ONE_KANJI_SURNAMES = set("林森原関堀岡辻東西南谷泉沢杉浜星堤梶柳岸畑菅堺芝萩楠桂")
# Last characters that make the run a role, group, place or relation, not a person (利用者様, 事業者さん, 職員さん,
# 市民, お客様, ご家族様, 看護師さん, 課長さん, 〇〇会社様, 〇〇建設様, 〇〇課さん, 〇〇市さん, ご両親様,
# 世帯主様). 家 is not among them: 山田家様 names a family, and 氏家 is a surname.
_NOT_NAME_LAST = set(
    "者員民客族師士官長店社会課局庁署校園院館組団協省県府都市区町係室班宛御様殿位氏君皆各両王神仏"
    "嬢坊孫娘嫁婿兄姉弟妹父母祖爺婆親主手工党宅業事性姓体息堂先科隊軍供婦設庫機気版刷輸通産品発計研"
)
# Whole words that end the run and are not names (主人様, 息子さん, 先生, 先方様, ご苦労様, 農家さん, 企画部さん…).
_ENDING_WORDS = """
主人 本人 当人 個人 友人 知人 老人 夫人 婦人 住人 成人 新人 職人 芸人 役人 理人 請人
出人 証人 法人 国人 隣人 恋人 他人 大人 見人 続人 取人 起人 話人 頼人 立人 借人 息子
親子 双子 弟子 王子 男子 女子 様子 菓子 調子 学生 先生 院生 修生 講生 習生 業生 級生
入生 校生 塾生 寮生 先方 双方 貴方 手方 奥方 殿方 親方 裏方 味方 当方 地方 担当 旦那
苦労 愁傷 世話 馳走 丁寧 沙汰 同慶 多忙 注文 得意 新規 相手 機関 警察 消防 包括 観音
地蔵 稲荷 釈迦 如来 明神 天神 大仏 閻魔 隠居 銀行 魚屋 花屋 本屋 床屋 酒屋 米屋 肉屋
薬屋 問屋 部屋 小屋 八百屋 農家 大家 作家 画家 門家 築家 治家 業家 資家 本家 分家 実家
一家 役所 務所 近所 健所 究所 張所 支所 業所 判所 場所 住所 務部 民部 祉部 設部 育部
画部 理部 本部 支部 幹部 外部 内部 全部 一部 学部 大学 組合 作所 金庫
"""
_NOT_NAME_ENDINGS = tuple(_ENDING_WORDS.split())
_MAX_NAME = 8  # longer kanji runs before an honorific are phrases, not names


def _names(text: str) -> Iterator[tuple[str, int, int]]:
    for m in _NAME_LABEL.finditer(text):
        value = _LABEL_TAIL.sub("", m.group("v")).rstrip(_SPACES)
        if len(value) >= 2 and value not in _LABEL_NON_NAMES:
            yield "person_name", m.start("v"), m.start("v") + len(value)
    for m in _HONORIFIC.finditer(text):
        after = text[m.end():m.end() + 1]
        if after and after in _NOT_HONORIFIC_BEFORE.get(m.group(), ""):
            continue
        if m.start() > 0 and text[m.start() - 1] in _NOT_HONORIFIC_AFTER.get(m.group(), ""):
            continue
        span = _name_before(text, m.start())
        if span is not None and not _OFFICIAL_BEFORE.search(text, max(0, span[0] - 20), span[0]):
            yield "person_name", *span


_KANJI_TAIL = re.compile(rf"[{_K}]+\Z")


def _kanji_run_before(text: str, end: int, limit: int = 20) -> int:
    """Where the run of kanji ending at `end` starts (looking back at most `limit` characters)."""
    m = _KANJI_TAIL.search(text, max(0, end - limit), end)
    return end if m is None else m.start()


def _name_before(text: str, end: int) -> tuple[int, int] | None:
    """The span of a personal name ending at `end` (where an honorific starts), or None.

    Forms: kanji (山田太郎), kanji with a space (山田　太郎), kanji surname + space + kana given name (佐藤 はなこ),
    kanji + hiragana + 子/美… (宮城まり子). A run with a member's seat number or an official's title is public record.
    """
    if end > 0 and text[end - 1] in _SPACES:
        end -= 1
    start = _kanji_run_before(text, end)
    if start == end:  # kana given name: only after a kanji surname and a space, so 〜のみなさん is not one
        kana_start = end
        while kana_start > 0 and end - kana_start < 6 and _is_kana(text[kana_start - 1]):
            kana_start -= 1
        if end - kana_start < 2 or kana_start == 0 or text[kana_start - 1] not in _SPACES:
            return None
        surname = _kanji_name(text, _kanji_run_before(text, kana_start - 1), kana_start - 1, allow_one=True)
        return None if surname is None else (surname[0], end)
    if end - start == 1 and text[start] in "子美代恵江乃香奈枝" and start > 0 and _is_hiragana(text[start - 1]):
        kana_start = start  # 宮城まり子
        while kana_start > 0 and start - kana_start < 3 and _is_hiragana(text[kana_start - 1]):
            kana_start -= 1
        if text[start - 1] in "おご":
            return None  # お子さん, not a name
        surname = _kanji_name(text, _kanji_run_before(text, kana_start), kana_start, allow_one=True)
        return None if surname is None else (surname[0], end)
    if start > 1 and text[start - 1] in _SPACES and end - start <= 4:  # 山田　太郎
        surname = _kanji_name(text, _kanji_run_before(text, start - 1, 5), start - 1, allow_one=True)
        given = _kanji_name(text, start, end, allow_one=True)
        if surname is not None and given is not None and text[start:end] not in _NOT_NAME_ENDINGS:
            return surname[0], end
    return _kanji_name(text, start, end, allow_one=False)


def _kanji_name(text: str, start: int, end: int, *, allow_one: bool) -> tuple[int, int] | None:
    """`text[start:end]` (a run of kanji) trimmed to the name in it, or None when it is not a name."""
    run = text[start:end]
    if not run or _OFFICIAL.search(run):
        return None
    if run[0] == "故":
        start, run = start + 1, run[1:]
    for i in range(len(run) - 3, 0, -1):  # the last label or role glued before at least two more kanji
        if run[i] in _PREFIX_END:
            start, run = start + i + 1, run[i + 1:]
            break
    if len(run) == 1 and not allow_one and run not in _ONE_KANJI_SURNAMES:
        return None
    if not run or len(run) > _MAX_NAME or run[-1] in _NOT_NAME_LAST or run.endswith(_NOT_NAME_ENDINGS):
        return None
    if "第" in run or all(c in _KANJI_NUM for c in run):
        return None
    return start, end


# ------------------------------------------------------------------------------------------ public functions


def find_personal_info(text: str) -> list[Finding]:
    """Every piece of personal information in `text`, sorted by position and not overlapping (where two finds
    overlap, the more specific kind wins: マイナンバー, e-mail, phone, birth date, address, name)."""
    if not isinstance(text, str):
        raise TypeError(f"text must be str, not {type(text).__name__}")
    norm = normalise(text)
    folded = norm.text
    candidates: list[tuple[str, int, int]] = [
        *_my_numbers(folded), *_emails(folded), *_phones(folded), *_birth_dates(folded),
        *_addresses(folded), *_names(folded),
    ]
    findings = []
    for kind, s, e in _resolve(candidates):
        start, end = norm.span(s, e)
        findings.append(Finding(kind, start, end, text[start:end]))
    return findings


def _resolve(candidates: list[tuple[str, int, int]]) -> list[tuple[str, int, int]]:
    """Non-overlapping finds, the more specific (then longer) first. A name overlapped by a more specific find
    keeps its longest uncovered piece (緑町3丁目山田様: the address ends at 目, the name is 山田)."""
    starts: list[int] = []
    ends: list[int] = []
    kept: dict[int, tuple[str, int, int]] = {}
    for kind, s, e in sorted(set(candidates), key=lambda c: (_PRIORITY[c[0]], c[1] - c[2], c[1])):
        lo, hi = bisect_right(ends, s), bisect_left(starts, e)  # the kept spans overlapping [s, e)
        if lo < hi:
            if kind != "person_name":
                continue
            pieces = [(max(s, a), min(e, b)) for a, b in zip([s, *ends[lo:hi]], [*starts[lo:hi], e], strict=True)]
            s, e = max(pieces, key=lambda p: p[1] - p[0])
            if e - s < 2:
                continue
        insort(starts, s)
        insort(ends, e)
        kept[s] = (kind, s, e)
    return [kept[s] for s in starts]


def mask(text: str, findings: list[Finding] | None = None) -> str:
    """`text` with each finding replaced by a placeholder such as 「［個人情報：電話番号］」; the rest is kept as is.

    `findings` defaults to `find_personal_info(text)`; given ones must come from this text and not overlap.
    """
    if findings is None:
        findings = find_personal_info(text)
    parts: list[str] = []
    pos = 0
    for f in sorted(findings, key=lambda f: (f.start, f.end)):
        if f.end > len(text) or text[f.start:f.end] != f.text:  # no values in the message: they are personal
            raise ValueError(f"the {f.kind} finding at {f.start}..{f.end} does not match the text")
        if f.start < pos:
            raise ValueError(f"the {f.kind} finding at {f.start}..{f.end} overlaps the one before it")
        parts += [text[pos:f.start], _PLACEHOLDER.format(label=KINDS[f.kind])]
        pos = f.end
    parts.append(text[pos:])
    return "".join(parts)


def describe(findings: list[Finding]) -> str:
    """What was found, by kind and count, never the values: 「電話番号 1件、メールアドレス 1件」 ("" for none)."""
    counts = Counter(f.kind for f in findings)
    return "、".join(f"{label} {counts[kind]}件" for kind, label in KINDS.items() if counts[kind])
