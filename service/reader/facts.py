"""Expressions that state a fact of each answer type: a money amount states an `amount`, a date a `date`,
「してはならない」「無料」 a `permission` … `fact_spans(text, type)` finds them, with offsets into `text`.

The answer types themselves (what asks for each) are defined in `service/reader/analysis.py`.
"""

from __future__ import annotations

import re
import unicodedata

from kotae.jdates import kanji_to_int

_N = r"[0-9０-９][0-9０-９,，.．]*|[〇一二三四五六七八九十百千万億]+"
_KN = r"[0-9０-９〇一二三四五六七八九十]+|元"
FACT_PATTERNS: dict[str, re.Pattern[str]] = {
    "amount": re.compile(
        rf"(約|およそ|総額|合計)?(?:{_N})(?:兆|億|万|千)?(?:{_N})?(?:億|万|千)?(?:{_N})?(?:万|千)?円|無料|有料"),
    "date": re.compile(
        rf"(?:(令和|平成|昭和)\s*(?:{_KN})\s*年度?(?:\s*(?:{_KN})\s*月(?:\s*(?:{_KN})\s*日)?)?|"
        rf"(?<![0-9０-９])(?:19|20|１９|２０)[0-9０-９]{{2}}\s*年度?(?:\s*(?:{_KN})\s*月(?:\s*(?:{_KN})\s*日)?)?|"
        rf"(?:{_KN})\s*月\s*(?:{_KN})\s*日|(?:{_KN})\s*月(から|まで|末|中|以降)|"
        rf"(午前|午後)\s*(?:{_KN})\s*時(?:\s*(?:{_KN})\s*分)?|(?:{_KN})\s*時(?:\s*(?:{_KN})\s*分)?(から|まで)|"
        r"(今|来|本|次|前)年度(から|まで|中|末)|年度(内|末)|"
        rf"(今月|来月|先月|翌月|本年|今年|昨年|来年)(初め|初旬|上旬|中旬|下旬|末|中|内|から|より|以降)|"
        rf"(本年|今年|昨年|去年|来年|一昨年)\s*(?:{_KN})\s*月(?:\s*(?:{_KN})\s*日|末|初め|初旬|上旬|中旬|下旬)?|"
        rf"(来月|今月|先月|翌月)\s*(?:{_KN})\s*日|(?:{_KN})\s*月(?=に|には|を目途|をめど)|"
        rf"(?:{_KN})\s*月(上旬|中旬|下旬|初旬|初め)|"
        r"(本年|今年|来年|昨年|去年|今年度|来年度|本年度)の?(春|夏|秋|冬)(ごろ|頃|以降|まで|から|中|に)?|"
        r"(?<![一-龥])(春|夏|秋|冬)(ごろ|頃|以降|までに|を目途|をめど|にかけて)|年内|年明け|上半期|下半期|"
        r"[月火水木金土日](曜日?|曜)|(毎週|毎月|毎年|隔年|年末年始|祝日|休日)|"
        r"[０-９0-9〇一二三四五六七八九十]+(日|か月|カ月|ヶ月|年|週)(間|以内|以上|未満|とする|を経過))"
        r"(までに|まで|以内|以前|以降|から)?"),  # 「４月３０日までに」: the end a deadline question asks for
    "count": re.compile(
        r"[〇一二三四五六七八九十百0-9]+分の[〇一二三四五六七八九十百0-9]+|"  # a fraction before 五分 (minutes)
        rf"(約|およそ|延べ|合計|計)?(?:{_N})\s*(件|人|名|か所|カ所|ヶ所|箇所|校|台|回|割|個|%|％|パーセント|"
        r"ポイント|パーミル|‰|倍|世帯|団体|社|日|週|時間|分|秒|歳|戸|本|冊|棟|点|ha|ヘクタール|km|キロ|トン|施設|地区|事業|手続|"
        r"項目|種類|園|店舗|店|品目|組|基|隻|頭|匹|機|両|編成|艇|枚|通|席|室|便|路線|系統|コース|サイト|チーム|か国|カ国|拠点|教室|講座|区画|床|河川|"
        r"月分|か月分|カ月分)|"
        rf"(?:{_N})の(施設|団体|事業|地区|自治体|区市町村|市町村|企業|学校|店舗|国|都市|路線|手続)|半減|倍増|[一二三四五六七八九十半]割|"
        rf"(条例|規程|規則|告示|訓令|議案)第\s*(?:{_N})\s*号"),
    "person": re.compile(
        r"(?<![一-龥ァ-ヶーA-Za-z])(?!(一|全|内|外|細|大|幹|本)部)[一-龥ァ-ヶーA-Za-z]{1,12}(課|部|局|室|係|センター|事務所|委員会|"
        r"事務局|担当|クラブ|協会|財団|組合|株式会社|法人|商工会議所|協議会)(?![一-龥])|"
        r"(市長|副市長|町長|知事|副知事|教育長|局長|部長|課長|所長|職員|担当者)"),
    "place": re.compile(
        r"[一-龥ァ-ヶー0-9０-９]{1,15}(庁舎|支所|窓口|センター|会館|役場|役所|市役所|公民館|図書館|体育館|"
        r"ホール|会場|出張所|階|駅|施設|広場|公園|ホームページ|サイト|広報|公報|掲示場|掲示板|"
        r"丁目|番地|地内|地区|沿い|付近|周辺)|"
        r"(別に)?(規則|要綱|要領|告示|訓令)で定め|別に定め"),  # 「どこで決める」: the instrument it is left to
    "permission": re.compile(
        r"(て|で)(は)?(ならない|ならず|なりません|いけない|いけません)|禁止|できない|できません|できます|"
        r"できる|可能|不可|認め(る|ない|られ(?!る者)|ません)|必要(です|である|がある|があります|となる|となります)|"
        r"不要|差し支え(ない|ありません)|(し|使用し|利用し|入力し)てよい|しなければならない|義務|"
        r"(限度|範囲)(において|内で|内に|で)|"  # 「変更を生じない限度において」: how far it may go
        r"(を|が)対象(と|に)|対象と(する|し|なる)|に限(る|り|ります)"),  # 「小学校高学年以上を対象とする」: who may
    # whether something costs (有料か, お金はかかる): a may-I question answered by a fee or its absence
    "fee": re.compile(rf"無料|有料|無償|(?:{_N})(?:億|万|千)?円|使用料|手数料"),
    "reason": re.compile(
        r"ため(に)?[、。]|ためで|ためには|により|によって|ことから|理由|背景|受けて|踏まえ|を目的|観点から"),
    "definition": re.compile(r"とは|という|をいう|を指す|を目的|ことを目的|のための|制度|愛称|通称|略称|と呼"),
    "method": re.compile(
        r"申請|届出|届け出|提出|承認を(得|受け)|許可を(得|受け)|連絡|相談|持参|お持ちください|してください|"
        r"必要があ|手続|引き継|案内|窓口で|オンラインで|電子申請|(を|に)(より|よって)"),
}

# The rule a may-I question is answered by, before its exceptions.
PROHIBITION = re.compile(
    r"(て|で)は(ならない|ならず|なりません|いけない|いけません)|禁止|できない|できません|認めない|不可")
# The procedure a how-to question is answered by: who wants to do it does this (「利用しようとする職員は、…」).
PROCEDURE = re.compile(r"(しようとする|ようとする|を希望する|を受けたい)(者|職員|方|議員|とき|場合)(は|には)")
# A sentence that opens as an exception to the one before it.
EXCEPTION = re.compile(r"^\s*(?:[0-9０-９]+\s*)?(ただし|但し|前項の規定にかかわらず|前各項の規定にかかわらず|なお、)")


def fact_spans(text: str, answer_type: str, form: str = "") -> list[tuple[int, int]]:
    """Spans of `text` that state a fact of `answer_type`, in order; [] for types no expression shows
    (content) or when none is there. `form` (a regular expression, `Analysis.fact_form`) narrows them to the form
    asked for: 件 for 何件, 時 for 何時まで. Blanks and line breaks are read through: a PDF line may wrap inside
    a figure (「１，６００\n円」) and a speech may space it (「566億3,952万5,000 円」)."""
    pattern = FACT_PATTERNS.get(answer_type)
    if pattern is None:
        return []
    kept = [i for i, ch in enumerate(text) if not ch.isspace()]
    squeezed = "".join(text[i] for i in kept)
    folded = unicodedata.normalize("NFKC", squeezed)
    if len(folded) != len(squeezed):  # NFKC changed lengths (rare ligatures): match the original text
        folded = squeezed
    narrow = re.compile(form) if form else None
    found = [(m.start(), m.end()) for m in pattern.finditer(folded)
             if m.end() > m.start() and (narrow is None or narrow.search(m.group()))]
    if answer_type == "count" and form:  # the thing counted written after the figure: ６河川 for いくつの川
        found.extend((m.start(), m.end()) for m in re.finditer(rf"(?:{_N})\s*[一-龥ァ-ヶー]{{0,3}}?(?:{form})", folded)
                     if not any(a <= m.start() < b for a, b in found))
        found.sort()
    return [(kept[a], kept[b - 1] + 1) for a, b in found]


_KANJI_SMALL = {"十": 10, "百": 100, "千": 1000}
_KANJI_LARGE = {"万": 10_000, "億": 100_000_000, "兆": 1_000_000_000_000}
_UNITS = (r"編成|件|人|名|円|校|台|回|か所|カ所|箇所|ヶ所|世帯|倍|キロメートル|km|キロ|日|時間|分|%|％|パーセント|"
          r"戸|棟|店舗|月")  # 月: 「9月末の世帯数」 is not the 3月末 one
_NUMBER = r"(?:[0-9][0-9,]*(?:\.[0-9]+)?[千百十]?|[〇一二三四五六七八九十百千]+)"
_FIGURE = re.compile(rf"({_NUMBER}(?:[万億兆]{_NUMBER}?)*|[万億兆])\s*({_UNITS})")
_SAME_UNIT = {"名": "人", "カ所": "か所", "箇所": "か所", "ヶ所": "か所", "％": "%", "パーセント": "%",
              "キロメートル": "km", "キロ": "km"}


def number_value(text: str) -> float | None:
    """The value of a written number: 1,600 / 七 / 二万一千 / 910万 / 三千五百七十四億 (None when it is not one)."""
    total = 0.0
    for part, large in re.findall(r"([^万億兆]*)([万億兆]?)", text.replace(",", "")):
        if not part and not large:
            continue
        value = _small_value(part) if part else 1.0
        if value is None:
            return None
        total += value * (_KANJI_LARGE[large] if large else 1)
    return total


def _small_value(text: str) -> float | None:
    """An arabic number or a kanji one below 万."""
    arabic = re.fullmatch(r"([0-9]+(?:\.[0-9]+)?)([千百十]?)", text)
    if arabic:
        return float(arabic.group(1)) * (_KANJI_SMALL[arabic.group(2)] if arabic.group(2) else 1)
    try:
        return float(kanji_to_int(text))
    except ValueError:
        return None


def figures_in(text: str) -> frozenset[tuple[float, str]]:
    """The figures with a unit `text` states, as (value, unit): 「七編成」 and 「7編成」 are both (7.0, 編成)."""
    folded = unicodedata.normalize("NFKC", "".join(text.split()))
    out: set[tuple[float, str]] = set()
    for m in _FIGURE.finditer(folded):
        value = number_value(m.group(1))
        if value is not None:
            out.add((value, _SAME_UNIT.get(m.group(2), m.group(2))))
    return frozenset(out)
