"""Question analysis, rules over Sudachi: what kind of answer a question wants (`answer_type`), what it is about
(`focus`: compound terms kept whole, 「宿泊税」「一般会計予算」「書かない窓口」), what limits it (`constraints`: a
year or fiscal year, a municipality, a document kind) and, for a question with two asks
(「いつから始まり、所要時間はどれくらい短くなった？」), its `parts`.

The rules read the question as staff type it. Each answer type is defined once in `ANSWER_TYPES` (what asks for
it) and `kotae`'s fact expressions (`service/reader/facts.py`, what states it).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from functools import lru_cache

from kotae.articles import ARTICLE_NAME, articles_named, law_kinds_named
from kotae.jdates import ERAS, kanji_to_int
from kotae.morphology import mode_c as _mode_c
from kotae.places import municipalities_in
from service.reader.facts import figures_in

# 「いつ」 as the word when (not inside 「くらいつくる」, not 「いつも」)
_WHEN = r"(?<!くら)(?<!ぐら)いつ(?!も)"
# Counters a count is asked in (何店舗, 何艇); 店舗 before 店, so the longer one is read.
_COUNTER_WORDS = (r"店舗|店|団体|社|組|校|台|施設|本|冊|棟|戸|倍|ポイント|地区|園|基|隻|頭|匹|機|両|編成|艇|枚|通|"
                  r"席|室|便|路線|系統|コース|サイト|チーム|か国|カ国|拠点|教室|講座|種類|品目|項目|区画|床|病床|河川")
# answer type -> the question's words that ask for it. Order matters: the first type that matches wins, so the
# stronger cues come first (「入力してよいか」 is permission although 「何を入力」 would be content).
# Interrogatives decide before the nouns that only hint at a type (「水道料金の猶予を答弁したのは誰」 is person).
INTERROGATIVES: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("person", re.compile(r"誰|だれ|どなた|どこの(課|部|局|部署)|どこ(に|へ)(回|つな|繋|引き継|案内|取り次)|"
                          r"どこが(寄贈|寄付|寄附|受注|落札|担当|主催|実施|運営|整備|設置|提供)|"
                          r"(事業者|業者|会社|団体|法人|委託先|受託者|相手方?)(って|は|が)\s*どこ")),
    ("amount", re.compile(r"いくら|幾ら|何円")),
    ("date", re.compile(rf"{_WHEN}|何日|何月|何年(?!度予算)")),
    ("reason", re.compile(r"なぜ|何故|どうして|何のため")),
    ("count", re.compile(rf"何(件|人|名|か所|カ所|箇所|回|割|個|%|パーセント|世帯|{_COUNTER_WORDS})")),
    ("method", re.compile(r"どのように|どうやって|どう(決ま|決め|計算|算定|定め|すれば|したら|する)|"
                          r"どういう(ルート|流れ|手順|方法)|"
                          r"(ないと|なきゃ|なくては|なければ)(いけない|いけません|だめ|ダメ|ならない|なりません)")),
    ("place", re.compile(r"どこで|どこに|どこへ")),
)
_MAY_I = re.compile(
    r"(て|で)(も)?(よい|良い|いい|よろし|かまわ|構わ)|有料|無料(か|です|\?|$)|(?<!ないと)(?<!なきゃ)(?<!なくては)いけない(か|の|\?|$)|"
    r"(だめ|ダメ|禁止|許可され|認められ)(か|です|\?|$)")
ANSWER_TYPES: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("permission", _MAY_I),
    ("amount", re.compile(
        r"いくら|幾ら|総額|金額|費用|使用料|手数料|料金|何円|予算(額|規模)?(は|って)|額(は|って)|単価|経費|"
        r"(補助|助成)(額|金)|時給|日給|月給|月額|年額|日額|(?<!人)規模(は|って|\?|$)|"
        r"[一-龥]{1,8}(料|費|代|賃)(は|って|\?|$)|(交付金|税|料|費|収入|予算|基金|歳入|歳出|財源).*見込み(額)?(は|って|\?|$)")),
    ("date", re.compile(rf"{_WHEN}|何日|何月|何年|期間|期限|締め?切|日程|時期|開始日|施行日|制定日|何時|何曜|曜日|"
                        r"(休館|開館|休業|定休|休診|閉庁|開庁)日|"
                        r"(受付|開庁|営業|開館|利用|診療)時間(?![一-龥])")),
    ("count", re.compile(
        r"何(件|人|名|か所|カ所|箇所|校|台|回|割|個|%|パーセント|倍|世帯|団体|社|日間|時間|分|ha|km|m)|"
        r"割合|件数|人数|世帯数|回数|実績(は|って|\?|$)|(普及|利用|達成|実施|接種|保有|税)率|率(は|って|\?|$)|人規模|何号|(条例|規程|規則)番号|"
        r"どれ(くらい|ぐらい|ほど|だけ)|どの(くらい|ぐらい|程度)|いくつ|幾つ")),
    ("person", re.compile(
        r"誰|だれ|どこの(課|部|局|部署)|担当(課|部署|部局|者)|担当は|どの(課|部署|部局)|問い?合わ?せ先|"
        r"(委員長|議長|市長|町長|知事|局長|部長|課長|教育長|委員)(は|って)\s*[?？]?$|"
        r"窓口はどこ|どこ(に|へ)(相談|連絡|問い?合わ?せ|申請|届け)")),
    ("place", re.compile(r"どこ|場所|会場")),
    ("reason", re.compile(r"なぜ|何故|どうして|理由|背景|原因|きっかけ")),
    ("definition", re.compile(
        r"とは|って(何|なに)|目的|意味|定義|には何が(入る|含まれ)|に(含まれる|入る)のは|の範囲は")),
    ("permission", re.compile(
        r"(でき|出来)(る|ます)(か|の)?(\?|$)|可能(か|です|\?|$)|必要(か|です|\?|$)|要る(か|\?|$)")),
    ("method", re.compile(
        r"どのように|どうやって|どうすれば|どうしたら|方法|手続|何を(する|して|すれば)|内容|取り?組|対策|施策|"
        r"支援策|どんな|どのような|どうなって|ルート|流れ|手順|やり方|仕方")),
)
# (answer type, what in the question narrows it, the form its facts must have)
FACT_FORMS: tuple[tuple[str, re.Pattern[str], str], ...] = (
    # a budget, a cost, a total is a sum of money (not the 無料化 it pays for)
    ("amount", re.compile(r"予算|経費|事業費|総額|財源|規模|歳入|歳出|基金|収入|支出|負担額"), "円"),
    ("count", re.compile(r"何件|件数"), "件"),
    ("count", re.compile(r"何(人|名)|人数|人員"), "人|名"),
    ("count", re.compile(r"何(%|％|パーセント)|割合|率(は|って|\?|$)|(普及|利用|達成|実施|接種|保有|税)率"),
     "%|％|パーセント|割|ポイント|パーミル|分の"),
    ("count", re.compile(r"何世帯|世帯数"), "世帯"),
    ("count", re.compile(r"何(か所|カ所|箇所|ヶ所)"), "か所|カ所|箇所|ヶ所"),
    ("count", re.compile(r"何回|回数"), "回"),
    ("count", re.compile(r"何号|(条例|規程|規則)番号"), "号"),
    ("date", re.compile(r"何時|(受付|開庁|営業|開館|利用|診療)時間(?![一-龥])"), "時"),
    # a deadline (いつまでに出す, 期限は): an end, not the day something began
    ("date", re.compile(r"いつまで|期限|締め?切|〆切"), "まで|以内|末|期限|限り|前|迄|以前"),
    ("date", re.compile(r"(制定|施行|公布|開始|改正)(日|された|される|したのは|するのは)|いつ(制定|施行|公布)"), "日"),
)
# 何 + a counter the facts must be counted in (何店舗 -> 店, 何団体 -> 団体)
_COUNTER = re.compile(rf"何({_COUNTER_WORDS})")
# いくつ + の + the thing counted (いくつの川 -> 川: ６河川)
_COUNTED_NOUN = re.compile(r"(?:いくつ|幾つ)の([一-龥ァ-ヶー]+)")
TYPE_NAMES = ("amount", "date", "count", "person", "place", "reason", "definition", "permission", "method",
              "content")
# What the answer would state, in the words of a partial refusal 「…についての記載はありますが、金額は見当たりません」.
TYPE_LABELS = {"amount": "金額", "date": "日付・期間", "count": "件数・割合などの数値", "person": "担当・人",
               "place": "場所", "reason": "理由", "definition": "定義・目的", "permission": "可否",
               "method": "方法・内容", "content": "内容"}

# Words that only ask (the answer type's cue, an interrogative): never part of the focus.
_CUE_WORDS = frozenset((
    "総額", "金額", "額", "費用", "料金", "値段", "経費", "件数", "人数", "割合", "率", "期間", "期限", "時期", "日程",
    "理由", "背景", "原因", "目的", "意味", "定義", "内容", "方法", "手続", "手続き", "場所", "会場", "担当", "担当課",
    "概要", "状況", "現状", "見解", "考え", "所見", "取組", "取り組み", "対策", "施策", "予定", "具体", "今後",
    "見込み", "見込", "見通し", "最終的", "結局", "最後", "最新", "直近", "最初", "初めて", "きっかけ", "経緯", "発端",
    "いくら", "幾ら", "いつ", "何", "なに", "どこ", "誰", "だれ", "どれ", "どの", "どんな", "ところ", "こと", "もの",
    "とき", "時", "場合", "ため", "為", "よう", "様", "など", "等", "ほう", "方", "くらい", "ぐらい", "ほど",
    "始まり", "終わり", "それぞれ", "各々", "おのおの", "ともに", "両方", "いくつ", "幾つ",
    "時点", "現在", "当時",  # 「2月1日時点で」: when the figure is of, not what it is about
    "都", "道", "府", "県", "市", "区", "町", "村", "国", "本市", "当市", "本町", "当町",
    # a year relative to the document's own (来年度は…): the documents say it in their own year's words
    "来年度", "今年度", "本年度", "昨年度", "前年度", "翌年度", "今年", "本年", "昨年", "来年", "前年", "去年",
    "ことし",
    # units a figure is asked in (1kmいくら, 月いくら)
    "km", "m", "kg", "キロ", "メートル", "月", "年", "日", "時間", "人", "件", "円", "割",
    # what a may-I question or a date question asks (有料か, 施行日は): the answer's kind, not its topic
    "有料", "無料", "可能", "必要", "ルート", "流れ", "手順", "やり方", "仕方",
    "施行日", "制定日", "開始日", "公布日", "日付", "年月日", "番号", "向け",
    # the kind of unit a person question asks for (どこの課): the answer's kind, not its topic
    "課", "部", "局", "部署", "部局", "担当部署",
))
# The words a question's focus terms are written as in the documents (staff shorthand, loanwords):
# a focus term counts as held when the text holds one of these.
TERM_SYNONYMS: dict[str, tuple[str, ...]] = {
    "マイカー": ("私有車", "自家用車", "自家用自動車"), "自家用車": ("私有車",), "車": ("自動車", "車両"),
    "バイト": ("アルバイト",), "スマホ": ("スマートフォン",), "ネット": ("インターネット",),
    "パソコン": ("PC", "端末"), "コロナ": ("新型コロナウイルス", "新型コロナ", "感染症"),
    "ハンコ": ("押印", "印鑑"), "はんこ": ("押印", "印鑑"), "マイナカード": ("マイナンバーカード",),
    "青切符": ("交通反則通告制度", "反則金"), "原付": ("原動機付自転車",),
    "バイク": ("自動二輪車", "原動機付自転車"), "役所": ("市役所", "庁舎"), "市役所": ("庁舎",),
    "オリパラ": ("オリンピック・パラリンピック", "東京2020大会", "東京二〇二〇大会"),
    "五輪": ("オリンピック",), "生成AI": ("生成ＡＩ", "ChatGPT"), "AI": ("人工知能",),
    "給料": ("給与", "給料月額"), "ボーナス": ("期末手当", "勤勉手当"), "残業": ("時間外勤務",),
    "引っ越し": ("転居", "転入", "転出"), "子育て": ("子ども・子育て", "育児"), "保育園": ("保育所",),
    "お年寄り": ("高齢者",), "年寄り": ("高齢者",), "障がい者": ("障害者",), "外国人": ("在留外国人",),
    # colloquial words staff type for the documents' terms
    "タダ": ("無料", "無償"), "ただ": ("無料", "無償"), "実質タダ": ("実質無料", "無償化"),
    "晩ごはん": ("夕食",), "夕飯": ("夕食",), "昼ごはん": ("昼食",), "ごはん": ("食事",), "ご飯": ("食事",),
    "泊まり": ("宿泊",), "弁償": ("賠償", "弁済"), "ガソリン代": ("燃料費",), "ガソリン": ("燃料",),
    "電気代": ("電気料金", "光熱水費"), "交通費": ("旅費", "交通費"), "給付": ("支給",), "お知らせ": ("通知", "周知"),
    "予算規模": ("財政規模", "予算の規模", "予算額"), "予算額": ("予算の総額", "財政規模"),
    "公表": ("登載", "掲載", "公告", "公開"), "ルール": ("規程", "規則", "基準"),
    "決まり": ("規程", "規則", "基準", "規定"), "車両": ("自動車", "車"), "調べ": ("調査",),
    "締切": ("期限",), "〆切": ("期限",),
    # everyday words for the documents' formal ones
    "売り物": ("商品",), "中身": ("内容",), "言い回し": ("表現",), "書き方": ("表記", "記載"),
    "値上げ": ("引上げ", "引き上げ", "改定"), "値下げ": ("引下げ", "引き下げ"), "割引": ("減額", "減免"),
    "払い戻し": ("還付", "返還"), "上限": ("限度額", "限度"), "書類": ("様式", "書面"), "建物": ("施設", "建築物"),
    "空き家": ("空家",), "車いす": ("車椅子",), "貸し出し": ("貸出", "貸与", "貸付"), "持ち込み": ("搬入",),
    "滞納": ("未納",), "役場": ("庁舎",), "町役場": ("庁舎",), "お祭り": ("祭り", "まつり"),
}
# Staff words -> the documents' words for the same thing (a paraphrase is not a missing topic).
SYNONYMS: dict[str, tuple[str, ...]] = {
    "なくす": ("紛失",), "無くす": ("紛失",), "失くす": ("紛失",), "落とす": ("紛失",),
    "引っ越す": ("転居", "転入", "転出"), "引っ越し": ("転居", "転入", "転出"),
    "値段": ("料金", "手数料", "使用料"), "料金": ("手数料", "使用料"), "お金": ("費用", "金額"),
    "子ども": ("児童", "子供"), "子供": ("児童", "子ども"), "年寄り": ("高齢者",), "お年寄り": ("高齢者",),
    "休み": ("休暇", "休業", "休館"), "ごみ": ("廃棄物",), "ゴミ": ("廃棄物", "ごみ"),
    "止める": ("駐車", "駐輪"), "停める": ("駐車", "駐輪"),
    "使う": ("利用", "使用"), "使える": ("利用",), "やめる": ("廃止",), "始まる": ("開始",), "始める": ("開始",),
    "増やす": ("拡充", "拡大", "増加"), "減らす": ("削減", "縮減"), "短くなる": ("短縮",), "短い": ("短縮",),
    "調べる": ("調査",), "決める": ("決定", "策定"), "作る": ("作成", "策定"), "直す": ("改正", "修正"),
    "回す": ("引き継ぐ", "引き継ぎ", "案内"), "つなぐ": ("引き継ぐ", "案内"),
    "もらう": ("受給", "交付", "授与", "支給"), "もらえる": ("受給", "交付", "授与", "支給"),
    "亡くなる": ("死亡", "逝去"), "死ぬ": ("死亡",), "推薦": ("内申", "推せん"),
    "払う": ("納付", "支払"), "持っていく": ("携帯", "持参"), "持つ": ("携帯", "持参"),
    "頼む": ("依頼",), "貸す": ("貸与", "貸出"),
}



@lru_cache(maxsize=4096)
def alternatives(term: str) -> tuple[str, ...]:
    """The documents' words for a focus term: TERM_SYNONYMS (and SYNONYMS for a staff word typed as the term),
    also for a part of it (晩ごはん代 -> 夕食代, オリパラ組織委員会 -> オリンピック・パラリンピック組織委員会)."""
    out = list(TERM_SYNONYMS.get(term, ()) + SYNONYMS.get(term, ()))
    for word, synonyms in TERM_SYNONYMS.items():
        if word != term and len(word) >= 2 and word in term:
            out.extend(term.replace(word, synonym) for synonym in synonyms)
    return tuple(dict.fromkeys(out))


_NUM = r"[0-9〇零一二三四五六七八九十百千]+|元"
_ERA_YEAR = re.compile(rf"(令和|平成|昭和)\s*({_NUM})\s*年(度)?")
_SHORT_ERA = re.compile(r"(?<![A-Za-z])([RrHh])\s*([0-9]{1,2})(?:年(度)?)?(?![0-9])")
_WESTERN_YEAR = re.compile(r"(?<![0-9])((?:19|20)[0-9]{2})\s*年(度)?")
_SHORT_ERAS = {"r": "令和", "h": "平成"}
_LAW_NUMBER = re.compile(rf"(明治|大正|昭和|平成|令和)\s*({_NUM})\s*年[^、。\n年月日]{{0,8}}?"
                         r"(法律|政令|条例|規則|省令|告示|訓令|規程)第\s*[0-9〇一二三四五六七八九十百千]+\s*号")
_ASKS_FEE = re.compile(r"有料|無料|(お金|費用|料金|使用料|手数料)(が|は|って)?(かか|要る|いる|必要)|タダ")
_ASKS_SPEAKER = re.compile(r"(答弁|発言|報告|説明|述べ|話し|言っ|演説|質問|挨拶|表明|討論|提案|代表)[^誰だどな]*"
                           r"(誰|だれ|どなた)|"
                           r"(長|知事|議長|委員長)(は|って)(誰|だれ|どなた)")
_LEVEL_WORD = re.compile(r"(?<![一-龥ァ-ヶ])(?:本|当)?(市|町|村|区)(?=の|が|は|で|に|内|民|役場|役所|長|議会|立)")
# Years relative to a document's own, each with the words that mean the same one.
RELATIVE_YEARS: tuple[tuple[str, ...], ...] = (
    ("来年度", "新年度", "次年度"), ("今年度", "本年度"), ("昨年度", "前年度"), ("今年", "本年", "ことし"),
    ("昨年", "去年"), ("来年",),
)
# 「1人あたり」「一晩につき」「1kmいくら」: the unit a figure is asked per, neither a topic nor a stated figure
_PER_UNIT = re.compile(r"(?<![0-9０-９〇一二三四五六七八九十百千.．])(?:1|一|１)\s*"
                       r"(人|件|世帯|日|泊|晩|回|枚|台|か月|ヶ月|カ月|月|年|時間|km|キロ|通|冊)\s*"
                       r"(あたり|当たり|につき|ごと)?")
_LATEST = re.compile(r"最後に|最新|直近|一番最近|最も新しい|いちばん新しい")
_EARLIEST = re.compile(r"最初に|初めて|はじめて|一番最初|最も古い")
_MONTH_DAY = re.compile(r"([0-9]{1,2})月([0-9]{1,2})日")


def names_relative(text: str, word: str) -> bool:
    """Whether `text` names the relative year `word` (今年 not inside 今年度)."""
    return re.search(re.escape(word) + ("(?!度)" if word.endswith("年") else ""), text) is not None
_TITLES = frozenset(("市長", "町長", "村長", "区長", "知事", "副市長", "副知事", "教育長", "議長", "委員長", "局長",
                     "部長", "課長", "議員"))
_HONORIFICS = frozenset(("さん", "様", "さま", "氏", "君", "くん", "殿"))
# Document kinds a question may name, as the store's doc types.
DOC_KIND_WORDS: tuple[tuple[re.Pattern[str], tuple[str, ...]], ...] = (
    (re.compile(r"条例|規則|規程|要綱|例規"), ("ordinance", "bill")),
    (re.compile(r"議案"), ("bill",)),
    (re.compile(r"会議録|議事録|議会で|答弁|一般質問|定例会"), ("minutes",)),
    (re.compile(r"施政方針|所信表明|市政報告|市長(の)?(発言|演説)|提案理由"), ("speech",)),
    (re.compile(r"ガイドライン|基準|手引|要領|マニュアル"), ("manual",)),
    (re.compile(r"指針|(?<!施政)方針|計画"), ("plan",)),
    (re.compile(r"FAQ|よくある質問"), ("faq",)),
)
_INTERROGATIVE = re.compile(_WHEN + r"|いくら|幾ら|誰|だれ|なぜ|何故|どこ|どの|どう|どれ|どんな|いくつ|何(?!か)")
_ASK = re.compile(_INTERROGATIVE.pattern + r"|[?？]\s*$|か\s*$|(は|って)\s*、?\s*$")
_PART_SPLIT = re.compile(r"(?<=[、。?？])|(?=また[、,]?)|(?<=か)(?=[、 ]?(それ|あと))|"
                         r"(?:(?<=いつ)|(?<=いくら)|(?<=どこ)|(?<=誰))・(?=何|いつ|いくら|どこ|誰)")  # 「いつ・何号？」


@dataclass(frozen=True)
class Year:
    """A year a question asks about: the 西暦 year, and whether it was a fiscal year (年度)."""

    year: int
    fiscal: bool

    def label(self) -> str:
        """令和8年度 / 2026年: as a partial refusal names it."""
        for era, base in ERAS.items():
            if self.year >= base and era in ("令和", "平成"):
                number = self.year - base + 1
                return f"{era}{'元' if number == 1 else number}年{'度' if self.fiscal else ''}"
        return f"{self.year}年{'度' if self.fiscal else ''}"


@dataclass(frozen=True)
class Constraints:
    """What limits the answer: years asked about, the municipality named, document kinds named."""

    years: tuple[Year, ...] = ()
    places: tuple[str, ...] = ()
    doc_types: tuple[str, ...] = ()
    levels: tuple[str, ...] = ()  # a municipality named by its level alone (町の駐車場, 本市の): 市, 町, 村, 区
    relative: tuple[str, ...] = ()  # a year relative to the document's (来年度, 昨年): each with its variants
    days: tuple[tuple[int, int], ...] = ()  # (month, day) named (3月27日の本会議): a meeting's or an event's
    figures: frozenset[tuple[float, str]] = frozenset()  # figures the question states (7編成, 910万円)
    order: str = ""  # "latest" (最後に改正, 直近の) or "earliest" (最初に, 初めて): which of several dates is asked
    articles: tuple[str, ...] = ()  # 例規 articles named (第5条, 第3条第2項), as `kotae.articles` labels them
    article_laws: tuple[str, ...] = ()  # the kind of 例規 named with them (規則第6条: 規則)

    def __bool__(self) -> bool:
        return bool(self.years or self.places or self.doc_types or self.levels or self.relative or self.days
                    or self.articles)


@dataclass(frozen=True)
class Analysis:
    """What a question asks, before any search: see the module docstring."""

    text: str
    answer_type: str
    focus: tuple[str, ...]
    constraints: Constraints
    expansions: tuple[str, ...] = ()  # document words for the question's staff words (SYNONYMS)
    parts: tuple[Analysis, ...] = field(default=())  # two or more asks: each analysed on its own
    predicate: str = ""  # the focus term that is the question's verb (いつから施行？: 施行), not what it is about

    @property
    def fact_form(self) -> str:
        """What a fact of the asked type must look like when the question says (`FACT_FORMS`: 何件 wants 件, 割合
        a percentage, 何時まで a time of day), else ""."""
        folded = _fold(self.text)
        form = next((form for type_, cue, form in FACT_FORMS if type_ == self.answer_type and cue.search(folded)),
                    "")
        if self.answer_type != "count" or form:
            return form
        counter = _COUNTER.search(folded)
        if counter:
            return re.escape(counter.group(1).replace("店舗", "店"))
        counted = _COUNTED_NOUN.search(folded)  # 「いくつの川」: counted as ６河川
        return re.escape(counted.group(1)[-1]) if counted else ""

    @property
    def fact_type(self) -> str:
        """Which expressions state the asked fact (`facts.FACT_PATTERNS`): the answer type's, except for a may-I
        question about a charge (有料か, お金はかかる), which a fee or 無料 answers."""
        if self.answer_type in ("permission", "amount") and _ASKS_FEE.search(_fold(self.text)):
            return "fee"
        return self.answer_type

    @property
    def asks_speaker(self) -> bool:
        """Whether a person question asks who said it (答弁したのは誰, 施政方針を述べた市長は誰): the turn's speaker
        answers it."""
        return self.answer_type == "person" and bool(_ASKS_SPEAKER.search(self.text))

    @property
    def head(self) -> str:
        """The focus term the question asks about, the last of its noun phrase (「市制施行100周年の記念式典」: 記念式典;
        「政務活動費は月いくら」: 政務活動費); "" when the focus has no term of two or more characters."""
        return next((t for t in reversed(self.focus) if len(t) >= 2 and t != self.predicate), "")

    @property
    def wants_fact(self) -> bool:
        """Whether the answer must state a fact of a kind an expression shows (a figure, a date, a rule)."""
        return self.answer_type in ("amount", "date", "count", "place", "permission")


def answer_type_of(text: str) -> str:
    """The kind of answer `text` asks for (`TYPE_NAMES`); `content` when no cue says more (a term typed alone,
    「…について」)."""
    folded = _fold(text)
    if _BARE_TERM.fullmatch(folded):  # 「政務活動費」 typed alone asks what it is, not what it costs
        return "definition"
    permission = _MAY_I.search(folded)
    for name, pattern in INTERROGATIVES:
        if pattern.search(folded) and not (permission and name == "place"):
            return name
    for name, pattern in ANSWER_TYPES:
        if pattern.search(folded):
            return name
    return "definition" if len(folded) <= 12 and not re.search(r"[ぁ-ん]{2}", folded) else "content"


_BARE_TERM = re.compile(r"[一-龥ァ-ヶーA-Za-z0-9・]{2,12}")  # a term typed alone: no kana, no question mark


def years_in(text: str) -> tuple[Year, ...]:
    """The years a text names: 令和8年度, R8, 2026年度, 平成30年; not the year of a law's number
    (「（昭和２５年法律第９５号）」「昭和３７年南国市条例第９号」), which names the law, not a year it is about."""
    folded = _LAW_NUMBER.sub("、", _fold(text))
    found: list[Year] = []
    for m in _ERA_YEAR.finditer(folded):
        found.append(Year(ERAS[m.group(1)] + _number(m.group(2)) - 1, bool(m.group(3))))
    for m in _SHORT_ERA.finditer(folded):
        era = _SHORT_ERAS[m.group(1).lower()]
        found.append(Year(ERAS[era] + int(m.group(2)) - 1, bool(m.group(3)) or "年" not in m.group(0)))
    for m in _WESTERN_YEAR.finditer(folded):
        found.append(Year(int(m.group(1)), bool(m.group(2))))
    return tuple(dict.fromkeys(found))


def analyse(text: str) -> Analysis:
    """The analysis of one question (see `Analysis`); its parts are analysed the same way. A quoted phrase
    (「ここが、ひと旗あげる場所。」って何のスローガン？) is one focus term, and its words ask nothing."""
    quotes = tuple(q.strip("。、 ") for q in _QUOTED.findall(text))
    masked = _QUOTED.sub("「」", text)
    parts = _parts(masked)
    whole = _analyse_one(masked, quotes, text)
    if len(parts) < 2:
        return whole
    analysed = []
    for part in parts:
        one = _analyse_one(part, quotes if "「」" in part else ())
        # A later ask often leaves its topic to the first (「…はいつから始まり、所要時間はどれくらい…」).
        inherited = tuple(dict.fromkeys((*whole.focus, *one.focus))) if not _own_topic(one, whole) else one.focus
        analysed.append(Analysis(part, one.answer_type, inherited, whole.constraints, one.expansions,
                                 predicate=one.predicate))
    return Analysis(text, "multi", whole.focus, whole.constraints, whole.expansions, tuple(analysed))


_QUOTED = re.compile(r"[「『]([^「」『』]{2,40})[」』]")


def _analyse_one(text: str, quotes: tuple[str, ...] = (), original: str = "") -> Analysis:
    """One ask: `text` with its quoted phrases (`quotes`) masked as 「」; `original` is the text as typed."""
    folded = _fold(text)
    years = years_in(folded)
    places = municipalities_in(folded)
    kinds = tuple(dict.fromkeys(t for pattern, types in DOC_KIND_WORDS if pattern.search(folded) for t in types))
    levels = () if places else tuple(dict.fromkeys(m.group(1) for m in _LEVEL_WORD.finditer(folded)))
    relative = tuple(dict.fromkeys(word for group in RELATIVE_YEARS if any(names_relative(folded, w) for w in group)
                                   for word in group))
    days = tuple((int(m.group(1)), int(m.group(2))) for m in _MONTH_DAY.finditer(folded))
    undated = _PER_UNIT.sub("、", _MONTH_DAY.sub("、", _WESTERN_YEAR.sub("、", _ERA_YEAR.sub("、", folded))))
    # an article named (第5条) is a constraint, not words to find: 「第4条第2項」 is in no sentence of it
    focus = tuple(dict.fromkeys((*quotes, *focus_terms(ARTICLE_NAME.sub("、", folded), places))))
    order = "latest" if _LATEST.search(folded) else "earliest" if _EARLIEST.search(folded) else ""
    answer_type = answer_type_of(folded)
    if answer_type == "content" and focus == (folded.strip("? "),):
        answer_type = "definition"  # 「東京ささエール住宅」 typed alone: what it is (kana inside a name)
    return Analysis(original or text, answer_type, focus,
                    Constraints(years, places, kinds, levels, relative, days, figures_in(undated), order,
                                articles_named(folded), law_kinds_named(folded)),
                    expansions(folded), predicate=predicate_of(folded, focus))


def predicate_of(text: str, focus: tuple[str, ...]) -> str:
    """The last focus term when it is the question's verb: a verbal noun (サ変) with only verbs, endings and
    particles after it (「いつから施行？」「なぜ改正するのか」「いつ設立」); "" otherwise."""
    if not focus:
        return ""
    morphemes = list(_mode_c(text))
    for i in range(len(morphemes) - 1, -1, -1):
        pos = morphemes[i].part_of_speech()
        if pos[0] == "名詞":
            last = str(morphemes[i].surface())
            if pos[2] == "サ変可能" and focus[-1] == last:
                return last
            return ""
        if pos[0] not in ("動詞", "助動詞", "助詞", "補助記号", "接尾辞", "形容詞", "副詞"):
            return ""
    return ""


def focus_terms(text: str, places: tuple[str, ...] = ()) -> tuple[str, ...]:
    """What the question is about: runs of nouns joined into compounds (Sudachi mode C), 「書かない窓口」-like
    verb + ない + noun names kept whole; years, municipalities and words that only ask are left out."""
    cleaned = _PER_UNIT.sub("、", _WESTERN_YEAR.sub("、", _SHORT_ERA.sub("、", _ERA_YEAR.sub("、", _fold(text)))))
    for place in places:  # 「小樽市長」 keeps its 市長
        cleaned = re.sub(re.escape(place) + "(?=長)", "、" + place[-1], cleaned).replace(place, "、")
    morphemes = list(_mode_c(cleaned))
    terms: list[str] = []
    run: list[str] = []

    def close() -> None:
        while run and run[-1] in _CUE_WORDS:  # 「一般会計予算の総額」: the cue ends the run
            run.pop()
        while run and run[0] in _CUE_WORDS:
            run.pop(0)
        while len(run) > 1 and run[-1] in _HONORIFICS:  # 「大井田さん」: the documents write 大井田典子氏
            run.pop()
        word = "".join(run)
        if (word and word not in _CUE_WORDS and not word.isdigit() and len(word) >= 2) or (len(word) == 1 and
                                                                                          _is_kanji(word)):
            terms.append(word)
        run.clear()

    skip = False
    for i, m in enumerate(morphemes):
        pos = m.part_of_speech()
        surface = m.surface()
        if skip:  # the counter after 何 (何人, 何か所)
            skip = False
            if pos[0] == "接尾辞" or pos[2].startswith("助数詞") or surface in _CUE_WORDS or \
                    _COUNTER.fullmatch("何" + surface):
                continue
        if pos[1] == "固有名詞" and pos[2] == "人名" and i + 1 < len(morphemes) and \
                morphemes[i + 1].surface() in _TITLES:  # 「迫市長」: 迫 is who (the turn's speaker), 市長 a term
            close()
            terms.append(surface)
            continue
        if surface.startswith("何") and len(surface) <= 3 and pos[0] in ("名詞", "代名詞"):  # 何, 何人, 何か所: asks
            close()
            skip = True
            continue
        if not run and pos[2] == "副詞可能" and i + 1 < len(morphemes) and \
                morphemes[i + 1].part_of_speech()[0] == "名詞":  # 「長年消防団で」: 長年 says how long, not what
            continue
        nounish = (pos[0] == "名詞" and pos[1] not in ("数詞",) and surface not in _CUE_WORDS) or \
            (pos[1] == "数詞" and run and re.fullmatch(r"[A-Za-z]+", run[-1]) is not None) or \
            (pos[0] in ("接頭辞", "接尾辞") and run) or \
            (pos[0] == "形状詞" and i + 1 < len(morphemes) and morphemes[i + 1].part_of_speech()[0] == "名詞")
        # (a 形状詞 right before a noun is part of the compound: 特殊詐欺, 重大事故; a letter's number too: V4, G7)
        if nounish:
            run.append(surface)
            continue
        # 「書かない窓口」「待たない窓口」: a verb's negative directly before a noun names a thing.
        if pos[0] == "動詞" and i + 2 < len(morphemes) and morphemes[i + 1].surface() == "ない" and \
                morphemes[i + 2].part_of_speech()[0] == "名詞" and not run:
            run.extend([surface, "ない"])
            continue
        if pos[0] == "助動詞" and surface == "ない" and run and run[-1] == "ない":
            continue  # taken with the verb before it
        close()
    close()
    return tuple(dict.fromkeys(terms))


def expansions(text: str) -> tuple[str, ...]:
    """The documents' words for the staff words of `text` (SYNONYMS, by Sudachi's dictionary form)."""
    out: list[str] = []
    for m in _mode_c(_fold(text)):
        for form in (m.dictionary_form(), m.surface(), m.normalized_form()):
            out.extend(SYNONYMS.get(form, ()))
    return tuple(dict.fromkeys(out))


def _parts(text: str) -> list[str]:
    """The asks of a question: pieces cut at 、。？ (and after the verb of a first ask, 「いつ始まって」) that each ask
    something: an answer type's cue with an interrogative or a question's ending (two or more), else the whole
    question. A piece that only names the topic (「4月の臨時会に出したコロナ対策の補正予算、」) goes with the ask
    after it."""
    pieces = [q for p in _PART_SPLIT.split(_fold(text)) if p and p.strip("、。?？ ") for q in _split_verbs(p)]
    asks: list[str] = []
    topic = ""
    for whole_piece in pieces:
        each = _split_each(whole_piece)
        if each:  # 「一般会計繰入金と基金繰入金はそれぞれいくら」: two asks, both of the topic so far
            asks.extend(topic + one for one in each)
            topic = ""
            continue
        for piece in _split_pair(whole_piece):
            if _ASK.search(piece) and any(pattern.search(piece) for _, pattern in ANSWER_TYPES):
                asks.append(topic + piece)
                topic = ""
            elif asks and not _ASK.search(piece):
                topic += piece
            elif asks:
                asks[-1] += piece
            else:
                topic += piece
    if topic and asks:
        asks[-1] += topic
    if len(asks) < 2:
        return [text]
    return [a.strip("、 ") for a in asks]


_EACH = re.compile(r"^(?P<topic>.*の)?(?P<a>[^のと、]{1,12})と(?P<b>[^のと、]{1,12}?)(は|って|が|の)?"
                   r"(それぞれ|各々|おのおの)(?P<ask>.+)$")


def _split_each(piece: str) -> list[str]:
    """「国保の一般会計繰入金と基金繰入金はそれぞれいくら？」 -> 「国保の一般会計繰入金はいくら」「国保の基金繰入金は
    いくら？」: two things asked the same of each; both keep what comes before them. [] when `piece` is not so."""
    m = _EACH.match(piece)
    if m is None:
        return []
    topic, ask = m.group("topic") or "", m.group("ask")
    return [f"{topic}{m.group('a')}は{ask}", f"{topic}{m.group('b')}は{ask}"]


_PAIR = re.compile(r"^(?P<topic>.*の)?(?P<a>[^のと、]{1,10})と(?P<b>[^のと、]{1,10}?)(?P<end>(は|って)?\s*[?？]?)$")


def _split_pair(piece: str) -> list[str]:
    """「…条例の制定日と条例番号は？」 -> 「…条例の制定日は」「条例番号は？」: two cue nouns joined by と, each asking a
    kind of fact, are two asks (the second keeps the topic; `analyse`)."""
    m = _PAIR.match(piece)
    if m is None:
        return [piece]
    first, second = (m.group("topic") or "") + m.group("a") + "は", m.group("b") + (m.group("end") or "は")
    if not all(_asks_a_fact(part) for part in (m.group("a") + "は", m.group("b") + "は")):
        return [piece]
    return [first, second]


def _asks_a_fact(piece: str) -> bool:
    """Whether `piece` (a noun + は) asks for a figure, a date, a count or a person by itself."""
    return any(name in ("amount", "date", "count", "person") and pattern.search(piece)
               for name, pattern in ANSWER_TYPES)


def _split_verbs(piece: str) -> list[str]:
    """「いつ始まって補助の上限はいくら？」 -> 「いつ始まって」「補助の上限はいくら？」: a piece with two interrogatives
    cut after the verb ending (て, で, り, し) between them."""
    found = list(_INTERROGATIVE.finditer(piece))
    if len(found) < 2:
        return [piece]
    between = re.search(r"(て|で|り|し)(?=[^てでりし])", piece[found[0].end():found[1].start()])
    if between is None:
        return [piece]
    cut = found[0].end() + between.end()
    return [piece[:cut], piece[cut:]]


def _own_topic(part: Analysis, whole: Analysis) -> bool:
    """Whether a part names its topic itself: it shares the whole question's first focus term."""
    return bool(whole.focus) and whole.focus[0] in part.focus


# Kanji written in two forms the documents mix (補塡/補填, 山﨑/山崎), folded to one for finding a term.
_VARIANTS = str.maketrans({"塡": "填", "剝": "剥", "頰": "頬", "𠮟": "叱", "﨑": "崎", "髙": "高", "邊": "辺",
                           "邉": "辺", "齋": "斎", "齊": "斉", "濵": "浜", "嶋": "島", "槇": "槙"})


def compact(text: str) -> str:
    """For finding a term whole: NFKC, lower case, no blanks (a PDF's wrapped line does not split it), one form
    of kanji written two ways (`_VARIANTS`)."""
    return "".join(unicodedata.normalize("NFKC", text).lower().split()).translate(_VARIANTS)


def _number(text: str) -> int:
    return 1 if text == "元" else int(text) if text.isdigit() else kanji_to_int(text)


def _fold(text: str) -> str:
    return unicodedata.normalize("NFKC", text).strip()


def _is_kanji(ch: str) -> bool:
    return "\u4e00" <= ch <= "\u9fff"
