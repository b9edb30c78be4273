"""What a draft may quote (`service.drafting.clean`, and the set phrases of `service.compose.sentences`): the
speech's discourse openers are cut, sentences that only announce a topic, only make sense inside their speech,
or are stage directions are no content. Pure functions on literal sentences."""

from __future__ import annotations

import pytest

from service.compose.sentences import is_formulaic
from service.drafting.clean import is_announcement, opener_length, speech_bound


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
])
def test_sentences_bound_to_their_speech(text: str, bound: bool) -> None:
    assert speech_bound(text) is bound


@pytest.mark.parametrize("text", [
    "〔オリンピック・パラリンピック準備局長潮田勉君登壇〕",
    "残余のご質問につきましては、副知事、東京都技監、関係局長からのご答弁とさせていただきます。",
])
def test_stage_directions_and_hand_overs_are_set_phrases(text: str) -> None:
    assert is_formulaic(text)
