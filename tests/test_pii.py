"""The personal-information guard (`kotae.pii`): each kind in realistic Japanese text, マイナンバー check digits,
full-width forms, masking and descriptions, and no false alarms on public documents (the sample corpus and the
real Tokyo minutes)."""

from __future__ import annotations

import itertools
import random
import re
from pathlib import Path

import pytest

from kotae.pii import KINDS, Finding, describe, find_personal_info, mask, my_number_check_digit, normalise

REPO = Path(__file__).resolve().parent.parent
CORPUS = REPO / "corpus"
PLACEHOLDER = re.compile(r"［個人情報：(?:" + "|".join(KINDS.values()) + r")］")
FULL_WIDTH = str.maketrans("0123456789-", "０１２３４５６７８９－")


def kinds_and_texts(text: str) -> list[tuple[str, str]]:
    return [(f.kind, f.text) for f in find_personal_info(text)]


def found(text: str, kind: str) -> list[str]:
    return [f.text for f in find_personal_info(text) if f.kind == kind]


# ---------------------------------------------------------------- マイナンバー


def reference_check_digit(first_eleven: str) -> int:
    """Written from the published algorithm, independently of kotae.pii: P_n is the n-th of the first 11 digits
    counted from the right (n = 1..11), Q_n = n + 1 for n <= 6 and n - 5 for n >= 7; with
    r = (sum of P_n * Q_n) mod 11 the check digit is 0 when r <= 1, else 11 - r."""
    p = {n: int(first_eleven[len(first_eleven) - n]) for n in range(1, 12)}
    q = {n: n + 1 if n <= 6 else n - 5 for n in range(1, 12)}
    r = sum(p[n] * q[n] for n in range(1, 12)) % 11
    return 0 if r <= 1 else 11 - r


def sample_my_numbers(count: int = 60) -> list[str]:
    rng = random.Random(20241101)
    bases = ["12345678901", "00000000000", "99999999999"]
    bases += ["".join(rng.choice("0123456789") for _ in range(11)) for _ in range(count)]
    return [base + str(reference_check_digit(base)) for base in bases]


def test_widely_published_example_is_valid() -> None:
    assert reference_check_digit("12345678901") == 8
    assert my_number_check_digit("12345678901") == 8
    assert kinds_and_texts("個人番号は123456789018です。") == [("my_number", "123456789018")]


def test_check_digit_agrees_with_the_reference() -> None:
    for number in sample_my_numbers(300):
        assert my_number_check_digit(number[:11]) == int(number[11]), number


@pytest.mark.parametrize("bad", ["1234567890", "123456789012", "1234567890a", "１２３４５６７８９０１"])
def test_check_digit_rejects_anything_but_eleven_ascii_digits(bad: str) -> None:
    with pytest.raises(ValueError):
        my_number_check_digit(bad)


@pytest.mark.parametrize(
    "form",
    [
        lambda d: d,
        lambda d: f"{d[:4]} {d[4:8]} {d[8:]}",
        lambda d: f"{d[:4]}-{d[4:8]}-{d[8:]}",
        lambda d: f"{d[:4]}\u3000{d[4:8]}\u3000{d[8:]}",
        lambda d: d.translate(FULL_WIDTH),
        lambda d: f"{d[:4]}-{d[4:8]}-{d[8:]}".translate(FULL_WIDTH),
    ],
    ids=["bare", "spaces", "hyphens", "ideographic-spaces", "full-width", "full-width-hyphens"],
)
def test_valid_my_numbers_are_found_in_every_form(form: object) -> None:
    assert callable(form)
    for number in sample_my_numbers():
        written = form(number)
        text = f"窓口で申請者のマイナンバー（{written}）を確認し、控えを返却した。"
        assert kinds_and_texts(text) == [("my_number", written)], text


def test_wrong_check_digits_are_not_my_numbers_nor_anything_else() -> None:
    for number in sample_my_numbers():
        for digit in "0123456789":
            if digit == number[11]:
                continue
            wrong = number[:11] + digit
            for written in (wrong, f"{wrong[:4]}-{wrong[4:8]}-{wrong[8:]}", wrong.translate(FULL_WIDTH)):
                assert find_personal_info(f"整理番号{written}の件") == [], written


def test_a_valid_number_inside_a_longer_run_of_digits_is_not_a_my_number() -> None:
    assert found("法人番号1234567890180", "my_number") == []  # 13 digits: a corporate number, public
    assert found("口座9123456789018", "my_number") == []
    assert found("1234-5678-9018-7", "my_number") == []


# ---------------------------------------------------------------- phone numbers


@pytest.mark.parametrize(
    "phone",
    [
        "03-1234-5678",
        "045-123-4567",
        "0887-55-1234",  # 0XXX-XX-XXXX
        "090-1234-5678",
        "080 1234 5678",
        "070-1234-5678",
        "0120-123-456",  # toll-free
        "0120-12-3456",
        "0312345678",
        "09012345678",
        "(03)1234-5678",
        "03(1234)5678",
        "０９０－１２３４－５６７８",  # full-width
        "０３（１２３４）５６７８",
        "090ー1234ー5678",  # long-vowel mark typed for a hyphen
        "+81-90-1234-5678",
        "+81 3 1234 5678",
    ],
)
def test_phone_numbers_are_found(phone: str) -> None:
    text = f"相談者から折り返しの依頼あり。連絡先は{phone}（日中のみ）とのこと。"
    assert kinds_and_texts(text) == [("phone", phone)]


@pytest.mark.parametrize(
    "text",
    [
        "令和二年度一般会計予算は14,564,458千円で、前年度比3.2%の増となっております。",
        "2020年から2024年までの5年間で、延べ12,345人が参加した。",
        "令和6年9月10日（火曜日）午前10時開議。会期は2024-09-10から2024-10-01まで。",
        "詳しくは企画部ＤＸ推進課（内線２４５１）までお問い合わせください。",
        "市民課（電話０１２３）",
        "交付件数は42100件、保有率は76.2%である。",
        "契約番号0001234567について",  # 00: not an area code
        "予算額は1,203,456,789円、決算額は0.5億円",
        "郵便番号123-4567の地域",
        "第3条第2項第1号、別表第2（第5条関係）",
    ],
)
def test_no_phone_in_amounts_years_dates_or_extensions(text: str) -> None:
    assert found(text, "phone") == []


# ---------------------------------------------------------------- e-mail


@pytest.mark.parametrize(
    "email",
    ["hanako.sato@example.jp", "k-yamada+kotae@mail.city.mizuhono.lg.jp", "ｔａｒｏ＠ｅｘａｍｐｌｅ．ｃｏｍ"],
)
def test_email_addresses_are_found(email: str) -> None:
    text = f"返信先は{email}でお願いします、とメモあり。"
    assert kinds_and_texts(text) == [("email", email)]


def test_not_an_email() -> None:
    assert find_personal_info("ＣｈａｔＧＰＴ@国内版、user at example dot jp、@mention") == []


# ---------------------------------------------------------------- postal addresses


@pytest.mark.parametrize(
    ("text", "address"),
    [
        ("住所：東京都新宿区西新宿二丁目8番1号", "東京都新宿区西新宿二丁目8番1号"),
        ("現住所は高知県南国市大埔甲2301番地です。", "高知県南国市大埔甲2301番地"),
        ("相談者はみずほ野市緑町三丁目5番8号に住んでいる。", "みずほ野市緑町三丁目5番8号"),
        ("転居先：新宿区西新宿2-8-1", "新宿区西新宿2-8-1"),
        ("大阪府大阪市北区梅田１丁目２番３号", "大阪府大阪市北区梅田１丁目２番３号"),
        ("住所南国市大埔甲2301番地", "南国市大埔甲2301番地"),
        ("送付先 〒783-0093", "〒783-0093"),
        ("郵便番号：１２３－４５６７", "１２３－４５６７"),
        ("住所：緑町3-5-8", "緑町3-5-8"),
        ("緑町三丁目5番8号にお住まいの方から電話", "緑町三丁目5番8号"),  # a full lot needs no municipality
        ("大埔甲2301番地の土地", "大埔甲2301番地"),
        ("みずほ野市2301番地", "みずほ野市2301番地"),
    ],
)
def test_addresses_are_found(text: str, address: str) -> None:
    assert kinds_and_texts(text) == [("postal_address", address)]


@pytest.mark.parametrize(
    "text",
    [
        "南国市",
        "東京都",
        "南国市と東京都、みずほ野市の三者で連携協定を締結した。",
        "令和５年みずほ野市条例第４号",
        "東京都条例第百号及び新宿区規則第3号",
        "情報公開は東京大改革の一丁目一番地です。",
        "みずほ野市総合計画2-1の施策",
        "市区町村の窓口で手続してください。",
        "みずほ野市では、三番目の取組として",
        "都営住宅三十一番地区の整備",
        "様式第2号の3番1号欄に記入",
    ],
)
def test_no_address_in_bare_municipality_names_or_article_numbers(text: str) -> None:
    assert found(text, "postal_address") == []


# ---------------------------------------------------------------- birth dates


@pytest.mark.parametrize(
    ("text", "date"),
    [
        ("生年月日：1980年4月1日", "1980年4月1日"),
        ("生年月日　昭和45年3月2日", "昭和45年3月2日"),
        ("山田太郎（昭和45年3月2日生）", "昭和45年3月2日"),
        ("昭和四十五年三月二日生まれの男性", "昭和四十五年三月二日"),
        ("誕生日は平成元年5月5日です。", "平成元年5月5日"),
        ("生年月日（西暦）：1980/04/01", "1980/04/01"),
        ("生年月日：Ｓ４５．３．２", "Ｓ４５．３．２"),
        ("生年月日：１９８０年４月１日", "１９８０年４月１日"),
        ("山田太郎（昭和45年3月2日（生））", "昭和45年3月2日"),
        ("生年月日\n1980年4月1日", "1980年4月1日"),  # a form: the label's cell above the value's
        ("生年月日：1980・4・1", "1980・4・1"),
    ],
)
def test_birth_dates_are_found(text: str, date: str) -> None:
    assert (("birth_date", date)) in kinds_and_texts(text)


@pytest.mark.parametrize(
    "text",
    [
        "令和6年9月10日（火曜日）に定例会を開催した。",
        "この基準は、令和６年１１月１日から施行する。",
        "2024年4月1日生活保護法の改正に伴い",
        "申請書には氏名、住所、生年月日を記入する。",
        "昭和四十三年生まれ、都民の日である十月一日が誕生日",
        "令和2年4月1日に誕生した新しい制度",
    ],
)
def test_ordinary_dates_are_not_birth_dates(text: str) -> None:
    assert found(text, "birth_date") == []


# ---------------------------------------------------------------- personal names


@pytest.mark.parametrize(
    ("text", "name"),
    [
        ("本日、山田太郎様が来庁され、転入届を提出された。", "山田太郎"),
        ("佐藤花子さんから児童手当の問合せ。", "佐藤花子"),
        ("氏名：鈴木一郎", "鈴木一郎"),
        ("申請者：高橋 健一", "高橋 健一"),
        ("相談者氏名：佐藤はなこ", "佐藤はなこ"),
        ("本人：渡辺恵美子（わたなべ えみこ）", "渡辺恵美子（わたなべ えみこ）"),
        ("名前: 中村 優", "中村 優"),
        ("相談者山田太郎さんの息子さんについて", "山田太郎"),
        ("担当　伊藤さんへ引継ぎ", "伊藤"),
        ("田中　一郎　様", "田中　一郎"),
        ("佐藤　はなこ　様", "佐藤　はなこ"),
        ("林さんに確認済み", "林"),
        ("元総理大臣の森喜朗氏が発言", "森喜朗"),
        ("お客様山田様の件", "山田"),
        ("小林直人様宛て", "小林直人"),
        ("窓口の阿部さん", "阿部"),
        ("本多さんに確認", "本多"),
        ("長谷川さんに確認", "長谷川"),
        ("佐々木様より電話", "佐々木"),
        ("氏家さんが来庁", "氏家"),
    ],
)
def test_personal_names_are_found(text: str, name: str) -> None:
    assert found(text, "person_name") == [name]


@pytest.mark.parametrize(
    "text",
    [
        "○議長（大槻重雄君）　十二番桑原美穂君。",
        "〔十二番桑原美穂君登壇〕",
        "○市長（相沢恒一君）　桑原美穂議員のご質問にお答えいたします。",
        "相沢市長、村瀬企画部長、浅見市民部長が出席した。",
        "○議長（石川良一君）　二十六番森澤恭子さん。",
        "○議長（石川良一君）　六十一番のがみ純子さん。",
        "東京都議会議長　石川　良一殿",
        "調査部長長嶺浩子さん",
        "市民の皆様、お客様各位、職員の皆さん、関係者の皆様方",
        "ご利用者様、事業者さん、保護者様、ご家族様、世帯主様、ご本人様、ご主人様",
        "お疲れ様です。ご苦労様でした。お互い様、お陰様で",
        "息子さん、娘さん、お子さん、お母さん、妊婦さん、子供さん、看護師さん",
        "新しい生活様式、生物多様性、昨年同様、仕様書、様式第1号、氏名欄",
        "みずほ野市長　殿",
        "〇〇建設様、△△商店様、□□銀行様、企画課さん、新宿区さん",
        "「Ａさん」「Ｂ氏」のように仮名化してから入力すること。",
        "沖縄県首里城正殿の火災",
    ],
)
def test_no_names_in_public_record_forms_or_common_nouns(text: str) -> None:
    assert found(text, "person_name") == []


# ---------------------------------------------------------------- disguised forms (normalised before matching)

ZERO_WIDTH = ("\u200b", "\u200c", "\u200d", "\u2060", "\ufeff")  # zero-width space, non-joiner, joiner, WJ, BOM
VALID = "43219876501" + str(reference_check_digit("43219876501"))  # a number whose check digit is right


def only(text: str) -> tuple[str, str]:
    """The one find in `text` as (kind, text); fails when there is not exactly one."""
    finds = kinds_and_texts(text)
    assert len(finds) == 1, (text, finds)
    return finds[0]


@pytest.mark.parametrize(
    "written",
    [
        f"{VALID[:4]}.{VALID[4:8]}.{VALID[8:]}",
        f"{VALID[:4]}・{VALID[4:8]}・{VALID[8:]}",
        f"{VALID[:4]}･{VALID[4:8]}･{VALID[8:]}",  # half-width middle dot
        f"{VALID[:4]}·{VALID[4:8]}·{VALID[8:]}",
        f"{VALID[:4]}．{VALID[4:8]}．{VALID[8:]}".translate(FULL_WIDTH),
        f"{VALID[:4]} - {VALID[4:8]} - {VALID[8:]}",
        f"{VALID[:4]}\u3000－\u3000{VALID[4:8]}\u3000－\u3000{VALID[8:]}".translate(FULL_WIDTH),
        f"{VALID[:4]}ー{VALID[4:8]}ー{VALID[8:]}",
        f"{VALID[:4]}\u2212{VALID[4:8]}\u2212{VALID[8:]}",  # minus sign
        f"{VALID[:4]}\u00a0{VALID[4:8]}\u00a0{VALID[8:]}",  # no-break space
        " ".join(VALID),  # spaced out
        VALID.translate(str.maketrans("0123456789", "〇一二三四五六七八九")),  # kanji digits
        *(zw.join(VALID) for zw in ZERO_WIDTH),  # an invisible character between every two digits
        f"{VALID[:4]}\u200b-\u200b{VALID[4:8]}\u200b-{VALID[8:]}",
    ],
)
def test_disguised_my_numbers_are_found_and_masked_whole(written: str) -> None:
    text = f"窓口で控えの番号{written}を確認した。"
    assert only(text) == ("my_number", written)
    assert mask(text) == "窓口で控えの番号［個人情報：マイナンバー］を確認した。"


@pytest.mark.parametrize(
    "written", ["1234.5678.9012", "1234・5678・9012", "1234\u200b5678\u200c9012", "123456789012", "1234 5678 9012"]
)
def test_a_labelled_my_number_is_one_whatever_its_check_digit(written: str) -> None:
    """The probe's 1234.5678.9012 has a wrong check digit; after a label it is still meant as a マイナンバー."""
    for label in ("マイナンバー：", "マイナンバー（個人番号）は", "個人番号 ", "My Number: "):
        assert only(f"{label}{written}") == ("my_number", written)
    assert found(f"整理番号{written}の件", "my_number") == []  # without the label the check digit decides


@pytest.mark.parametrize(
    "phone",
    [
        "090・8765・4321",
        "090.8765.4321",
        "０９０．８７６５．４３２１",
        "090 - 8765 - 4321",
        "０９０　ー　８７６５　ー　４３２１",
        "0 9 0 8 7 6 5 4 3 2 1",
        "0 9 0 - 8 7 6 5 - 4 3 2 1",
        "〇九〇八七六五四三二一",
        "〇九〇－八七六五－四三二一",
        "03・1234・5678",
        "090\u00a08765\u00a04321",
        *(f"090{zw}8765{zw}4321" for zw in ZERO_WIDTH),
        "0\u200b9\u200b0-8765-4321",
    ],
)
def test_disguised_phone_numbers_are_found_and_masked_whole(phone: str) -> None:
    text = f"折り返しは{phone}（日中のみ）とのこと。"
    assert only(text) == ("phone", phone)
    assert mask(text) == "折り返しは［個人情報：電話番号］（日中のみ）とのこと。"


@pytest.mark.parametrize(
    "email",
    [
        "hanako\u200b@example.jp",
        "ha\u200dnako@exa\u2060mple.jp",
        "hanako @ example.jp",
        "hanako\ufeff＠example．jp",
        "𝐡𝐚𝐧𝐚𝐤𝐨@example.jp",  # mathematical bold letters
        "hanako﹫example.jp",  # small commercial at
    ],
)
def test_disguised_email_addresses_are_found_and_masked_whole(email: str) -> None:
    text = f"返信先は{email}でお願いします。"
    assert only(text) == ("email", email)
    assert mask(text) == "返信先は［個人情報：メールアドレス］でお願いします。"


def test_invisible_characters_do_not_hide_names_and_are_masked_with_them() -> None:
    text = "山\u200b田花子様\u200bから、相談者：鈴\u2060木一郎（連絡先 0\u200d90-8765-4321）"
    assert kinds_and_texts(text) == [("person_name", "山\u200b田花子"), ("person_name", "鈴\u2060木一郎"),
                                     ("phone", "0\u200d90-8765-4321")]
    assert mask(text) == "［個人情報：氏名］様\u200bから、相談者：［個人情報：氏名］（連絡先 ［個人情報：電話番号］）"


def test_the_probe_title_line() -> None:
    title = "山田花子様（090-8765-4321、hanako@example.jp）からの相談記録"
    assert kinds_and_texts(title) == [("person_name", "山田花子"), ("phone", "090-8765-4321"),
                                      ("email", "hanako@example.jp")]
    assert mask(title) == "［個人情報：氏名］様（［個人情報：電話番号］、［個人情報：メールアドレス］）からの相談記録"


def test_normalised_text_maps_back_to_the_original() -> None:
    text = "番号\ufeff１２３４・５６７８\u200b・９０１８、tel 0 9 0 - 8765 - 4321、a @ b.jp"
    norm = normalise(text)
    assert norm.text == "番号1234.5678.9018、tel 090-8765-4321、a@b.jp"
    assert len(norm.origin) == len(norm.text) + 1 and norm.origin[-1] == len(text)
    assert list(norm.origin) == sorted(set(norm.origin))  # strictly increasing: spans map to spans
    for i, ch in enumerate(norm.text):
        assert ch == text[norm.origin[i]].translate(str.maketrans("１２３４５６７８９０・", "1234567890.")), i
    start = norm.text.index("090")
    assert norm.span(start, start + len("090-8765-4321")) == (text.index("0 9"), text.index("4321") + 4)


@pytest.mark.parametrize(
    "text",
    [
        "評価は1・2・3の三段階で行う。",
        "資料1-2-3参照、第1・2号及び第一・二・三号",
        "前年度比3.2%増、0.5億円、14,564,458千円",
        "平成30.4.1施行、2024.04.01 から 2024.10.01 まで",
        "令和６年１０月１日\u3000１０時００分開議",
        "人口 12 345 人、世帯 6 789、表 1 2 3 4 5 6",
        "個人番号（〇〇〇〇〇〇〇〇〇〇〇〇）を記入",  # a blank to fill in
        "電話番号：〇〇〇－〇〇〇〇－〇〇〇〇",
        "内線 2451・2452",
        "平成三十一年四月一日から令和二年三月三十一日まで",
        "○議長（石川良一君）\u3000二十六番森澤恭子さん。〇〇君、〇〇議員、〇〇市長",
        "①03、②04、\u200b③05",
    ],
)
def test_normalising_finds_nothing_in_public_forms(text: str) -> None:
    assert find_personal_info(text) == []


# ---------------------------------------------------------------- realistic documents

COUNTER_MEMO = """窓口対応記録（市民課）
令和6年10月3日　午後2時15分
相談者：山田太郎様（昭和45年3月2日生）
住所：みずほ野市緑町三丁目5番8号
連絡先：090-1234-5678
内容：転出届の手続について。マイナンバーカード（個人番号1234 5678 9018）を持参。
担当　伊藤さんが対応し、後日、佐藤花子さん（娘）から電話あり。
"""

APPLICATION_FORM = """児童手当認定請求書
申請者氏名：鈴木一郎（すずき いちろう）
生年月日：１９８０年４月１日
住所：〒123-4567 東京都新宿区西新宿二丁目8番1号
電話番号：03（1234）5678
メールアドレス：ichiro.suzuki@example.jp
個人番号：123456789018
"""

FAQ_TEXT = """Q. 窓口で職員に相談した内容をＡＩに入力しますか。
A. 市民の皆様からの相談内容をＡＩに入力することはありません。氏名、住所、マイナンバー等の個人情報は、
生成ＡＩに入力しないことを定めています（みずほ野市生成ＡＩ利用ガイドライン第５）。
お問い合わせ：企画部ＤＸ推進課（内線２４５１）
"""


def test_counter_memo() -> None:
    assert kinds_and_texts(COUNTER_MEMO) == [
        ("person_name", "山田太郎"),
        ("birth_date", "昭和45年3月2日"),
        ("postal_address", "みずほ野市緑町三丁目5番8号"),
        ("phone", "090-1234-5678"),
        ("my_number", "1234 5678 9018"),
        ("person_name", "伊藤"),
        ("person_name", "佐藤花子"),
    ]


def test_application_form() -> None:
    assert kinds_and_texts(APPLICATION_FORM) == [
        ("person_name", "鈴木一郎（すずき いちろう）"),
        ("birth_date", "１９８０年４月１日"),
        ("postal_address", "〒123-4567"),
        ("postal_address", "東京都新宿区西新宿二丁目8番1号"),
        ("phone", "03（1234）5678"),
        ("email", "ichiro.suzuki@example.jp"),
        ("my_number", "123456789018"),
    ]


def test_faq_about_personal_information_has_none() -> None:
    assert find_personal_info(FAQ_TEXT) == []


def test_findings_are_sorted_non_overlapping_and_quote_the_text() -> None:
    for text in (COUNTER_MEMO, APPLICATION_FORM, "緑町3丁目山田様", "みずほ野市緑町3-5-8の田中様"):
        findings = find_personal_info(text)
        assert findings == sorted(findings, key=lambda f: f.start)
        for before, after in itertools.pairwise(findings):
            assert before.end <= after.start
        for f in findings:
            assert text[f.start:f.end] == f.text


def test_the_more_specific_kind_wins_and_a_name_keeps_its_own_part() -> None:
    assert kinds_and_texts("みずほ野市緑町3-5-8の田中様") == [
        ("postal_address", "みずほ野市緑町3-5-8"), ("person_name", "田中")]
    assert kinds_and_texts("南国市大埔甲2301番地山田様") == [
        ("postal_address", "南国市大埔甲2301番地"), ("person_name", "山田")]
    assert kinds_and_texts("生年月日：昭和45年3月2日") == [("birth_date", "昭和45年3月2日")]


# ---------------------------------------------------------------- mask and describe

SAMPLES = [COUNTER_MEMO, APPLICATION_FORM, FAQ_TEXT, "田中　一郎　様", "林さん", "０９０ー１２３４ー５６７８"]


@pytest.mark.parametrize("text", SAMPLES)
def test_mask_leaves_nothing_behind_and_keeps_the_rest(text: str) -> None:
    findings = find_personal_info(text)
    masked = mask(text)
    assert find_personal_info(masked) == []
    assert mask(masked) == masked
    assert len(PLACEHOLDER.findall(masked)) == len(findings)
    rest = "".join(text[a:b] for a, b in zip([0] + [f.end for f in findings],
                                             [f.start for f in findings] + [len(text)], strict=True))
    assert PLACEHOLDER.sub("", masked) == rest
    for f in findings:
        assert f.text not in masked


def test_mask_placeholders() -> None:
    text = ("山田太郎様、電話090-1234-5678、hanako@example.jp、生年月日：1980年4月1日、住所：〒123-4567、"
            "番号123456789018")
    assert mask(text) == ("［個人情報：氏名］様、電話［個人情報：電話番号］、［個人情報：メールアドレス］、"
                          "生年月日：［個人情報：生年月日］、住所：［個人情報：住所］、番号［個人情報：マイナンバー］")
    assert mask("個人情報はありません。") == "個人情報はありません。"


def test_mask_rejects_findings_from_another_text_without_echoing_them() -> None:
    findings = find_personal_info("連絡先は090-1234-5678です")
    with pytest.raises(ValueError) as error:
        mask("連絡先は未定です。お問い合わせは窓口まで。", findings)
    assert "090" not in str(error.value)
    overlapping = [Finding("phone", 4, 17, "090-1234-5678"), Finding("phone", 5, 17, "90-1234-5678")]
    with pytest.raises(ValueError):
        mask("連絡先は090-1234-5678です", overlapping)


def test_describe_names_kinds_and_counts_only() -> None:
    text = "連絡先は090-1234-5678または03-1234-5678、メールはtaro@example.jpです。"
    findings = find_personal_info(text)
    assert describe(findings) == "電話番号 2件、メールアドレス 1件"
    assert describe([]) == ""
    for sample in SAMPLES:
        findings = find_personal_info(sample)
        message = describe(findings)
        for f in findings:
            assert f.text not in message
        for part in filter(None, message.split("、")):
            label, count = part.split(" ")
            assert label in KINDS.values() and re.fullmatch(r"[0-9]+件", count), message


def test_finding_checks_its_fields() -> None:
    with pytest.raises(ValueError):
        Finding("address", 0, 2, "南国")
    with pytest.raises(ValueError):
        Finding("phone", 3, 2, "")
    with pytest.raises(ValueError):
        Finding("phone", 0, 5, "03-1234-5678")
    with pytest.raises(TypeError):
        find_personal_info(b"090-1234-5678")  # type: ignore[arg-type]


# ---------------------------------------------------------------- public documents: few, plausible finds

# What a find in a public document may be, per kind: a reason it is plausible given the text around it.
_LOT = re.compile(r"丁目|番地|番.{1,4}号|[0-9０-９]+[-－][0-9０-９]+|〒|^[0-9０-９]{3}[-－][0-9０-９]{4}$")
_HONORIFIC_AFTER = re.compile(r"^[ \u3000]?(?:様|さん|氏|殿)")
_BIRTH_MARK = re.compile(r"生年月日|誕生日|出生|生まれ|生")
_PUBLIC_FORMS = re.compile(r"君|議員|議長|市長|知事|部長|局長|課長|皆|客")


def implausible(text: str, f: Finding) -> str | None:
    """Why `f` is not a plausible find in `text`, or None when it is."""
    after = text[f.end:f.end + 4]
    before = text[max(0, f.start - 12):f.start]
    if f.kind == "my_number":
        return "a マイナンバー in a public document"
    if f.kind == "phone":
        digits = re.sub(r"\D", "", f.text.translate(str.maketrans("０１２３４５６７８９", "0123456789")))
        commas = (",", "，")
        if len(digits) not in (10, 11) or "," in f.text or before.endswith(commas) or after.startswith(commas):
            return "a phone find that looks like an amount"
    if f.kind == "postal_address" and not _LOT.search(f.text):
        return "an address without a lot number or postal code (a bare place name)"
    if f.kind == "birth_date" and not (_BIRTH_MARK.search(after) or _BIRTH_MARK.search(before)):
        return "a date with no birth marker next to it"
    if f.kind == "person_name":
        if _PUBLIC_FORMS.search(f.text) or after.startswith(("君", "議員", "市長", "部長", "知事")):
            return "a member or official in a public-record form, or a common noun"
        if re.search(r"[〇一二三四五六七八九十百]番\S{0,6}$", before):
            return "a member called by seat number"
        if not (_HONORIFIC_AFTER.match(after) or re.search(r"[:：][ \u3000]*$", before)):
            return "a name with neither an honorific nor a label"
    return None


def assert_few_and_plausible(name: str, text: str, limit: int) -> list[Finding]:
    findings = find_personal_info(text)
    shown = "\n".join(f"  {f.kind} {f.text!r} in …{text[max(0, f.start - 15):f.end + 8]!r}…" for f in findings)
    bad = [(f, why) for f in findings if (why := implausible(text, f)) is not None]
    assert not bad, f"{name}: implausible finds:\n" + "\n".join(f"  {f.kind} {f.text!r}: {why}" for f, why in bad)
    assert len(findings) <= limit, f"{name}: {len(findings)} finds (at most {limit} expected):\n{shown}"
    assert find_personal_info(mask(text, findings)) == [], f"{name}: masking left finds behind"
    return findings


def read_corpus_file(path: Path) -> str:
    data = path.read_bytes()
    return data.decode("cp932") if path.parent.name == "memos" else data.decode("utf-8")


def test_sample_corpus_has_few_plausible_finds() -> None:
    paths = sorted(p for p in CORPUS.rglob("*") if p.suffix in (".md", ".txt", ".html"))
    assert len(paths) >= 4, f"sample corpus not found under {CORPUS}"
    finds = {str(path.relative_to(CORPUS)): assert_few_and_plausible(str(path), read_corpus_file(path), limit=3)
             for path in paths}
    # These are about personal-information rules or are minutes, full of the words 氏名, 住所, 生年月日, マイナンバー,
    # 皆様 and 〇〇君: none of that is personal information.
    for name in ("guidelines/個人情報の取扱い基準.txt", "guidelines/生成AI利用ガイドライン.md",
                 "minutes/令和6年第3回定例会会議録.txt", "memos/窓口対応メモ.txt"):
        assert finds.get(name, []) == [], f"{name}: {[(f.kind, f.text) for f in finds[name]]}"


# Two long sessions of 2020: the appointment bills (names, 昭和 birth dates, home municipalities) and the road
# and housing bills (real place names with 丁目), i.e. the hardest public text for this guard.
MINUTES_FILES = ("2020-02-28_令和二年東京都議会会議録第四号.txt", "2020-06-03_令和二年東京都議会会議録第十一号.txt")


@pytest.mark.parametrize("file_name", MINUTES_FILES)
def test_tokyo_minutes_have_few_plausible_finds(shared_data: Path, file_name: str) -> None:
    folder = shared_data / "minutes" / "tokyo-2020"
    if not (folder / file_name).is_file():
        pytest.skip(f"{folder / file_name} not found (the real Tokyo minutes are needed for this check)")
    text = (folder / file_name).read_text(encoding="utf-8")[:200_000]
    findings = assert_few_and_plausible(file_name, text, limit=40)
    names = [f for f in findings if f.kind == "person_name"]
    assert all(not text[f.end:].startswith("君") for f in names)
    # Hundreds of members and officials are named in each file (〇〇君, 〇〇議員, 知事, 局長): none is a find.
    assert text.count("君") > 300 and len(names) < 20, [f.text for f in names]
    assert not [f for f in findings if f.kind in ("my_number", "email")]
