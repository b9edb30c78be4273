"""What a draft may quote (`service.drafting.clean`, and the set phrases of `service.compose.sentences`): the
speech's discourse openers are cut, sentences that only announce a topic, only make sense inside their speech,
or are stage directions are no content. Pure functions on literal sentences."""

from __future__ import annotations

import pytest

from service.compose.sentences import is_formulaic
from service.drafting.clean import is_announcement, opener_length, same_ending, speech_bound


@pytest.mark.parametrize(("text", "opener"), [
    ("まず、テレワークの導入支援についてでございますが、都は奨励金を支給しております。",
     "まず、テレワークの導入支援についてでございますが、"),
    ("さらには、要綱等に基づく手続への対象の拡大等も検討してまいります。", "さらには、"),
    ("しかしながら、これらの情報システムは、分野ごとに整備されてまいりました。", "しかしながら、"),
    ("このため、来年の繁忙期に向けて、臨時の休日窓口を開設する予定でございます。", "このため、"),
    ("都は、奨励金を支給しております。", ""),
])
def test_discourse_openers_are_measured(text: str, opener: str) -> None:
    assert text[:opener_length(text)] == opener


@pytest.mark.parametrize(("text", "announces"), [
    ("感染症に対する組織力の強化でございます。", True),
    ("都市ＯＳの構築についてでございます。", True),
    ("テレワークの推進についてのお尋ねでございます。", True),
    ("予算は五百万円でございます。", False),
    ("これは都と区市町村の共通の課題でございます。", False),
])
def test_a_bare_topic_is_an_announcement(text: str, announces: bool) -> None:
    assert is_announcement(text) is announces


@pytest.mark.parametrize(("text", "bound"), [
    ("検査数の拡充については、今お答えしたとおり、一日一万件を目指しております。", True),
    ("データの重要性が高まっていることは鈴木議員ご指摘のとおりでございます。", True),
    ("先ほど申し上げましたとおり、補助率を引き上げます。", True),
    ("議員ご指摘のとおり、生成ＡＩの回答には誤りが含まれることがあります。", False),  # no other member named
    ("市議会議員の定数について、条例で定めております。", False),
    ("規制緩和の推進について触れられました。", True),
    ("お話にありましたご協力もいただき、対策を進めております。", True),
])
def test_sentences_bound_to_their_speech(text: str, bound: bool) -> None:
    assert speech_bound(text) is bound


@pytest.mark.parametrize("text", [
    "〔オリンピック・パラリンピック準備局長潮田勉君登壇〕",
    "残余のご質問につきましては、副知事、東京都技監、関係局長からのご答弁とさせていただきます。",
    "お亡くなりになられた方々のご冥福を改めて心からお祈りを申し上げます。",
])
def test_stage_directions_and_hand_overs_are_set_phrases(text: str) -> None:
    assert is_formulaic(text)


def test_one_act_reported_in_two_sittings_is_said_once() -> None:
    first = ("都は、避難所以外への避難行動を促すための住民への周知や、ホテルなどの活用、避難所での感染症対策など、"
             "留意事項をまとめた対処方針を策定し、区市町村に周知をいたしました。")
    second = ("国の通知を踏まえ、都は、ホテルなど民間施設を活用した避難先の確保、"
              "発熱者対応や避難者間の距離の確保を含めた避難所での感染症対策など、"
              "留意事項をまとめた対策方針を策定し、区市町村に周知をいたしました。")
    assert same_ending(first, second)
    other = "都は、避難所での感染症対策について、区市町村の防災部署の取り組みを把握した上で支援してまいります。"
    assert not same_ending(first, other)
    assert not same_ending("周知をいたしました。", "周知をいたしました。")  # too short to say which act
