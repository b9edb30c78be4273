"""The stance of a draft changes what its 今後の方針 says, not only its last line: 推進 prefers sentences of
expansion and intent, 検討 of study, 慎重 of issues, costs and conditions; a sentence the closing would contradict
(「…拡充してまいります。」 before 「…慎重に検討してまいります。」) is not used.
"""

from __future__ import annotations

import re
from typing import Literal, cast, get_args

Stance = Literal["推進", "検討", "慎重"]  # the line a draft takes; the request schema and the CLI use this one
STANCE_NAMES: tuple[str, ...] = get_args(Stance)
CLOSINGS: dict[str, str] = {
    "推進": "今後とも、関係部署と連携を図りながら、積極的に推進してまいります。",
    "検討": "今後、国や他自治体の動向も注視しながら、検討してまいります。",
    "慎重": "今後の対応につきましては、課題を十分に見極めながら、慎重に検討してまいります。",
}
OPPOSITE = {"推進": "慎重", "慎重": "推進"}  # the stances whose sentences a draft of the other leaves out
# what each stance's sentences say
_SIGNS = {
    "推進": re.compile(r"拡充|拡大|強化|加速|推進|充実|積極的|全力|着実に|一層|さらなる|更なる|展開|実現|"
                     r"取り組んでまいり|進めてまいり|図ってまいり|実施してまいり|支援してまいり|目指|促進|早期|"
                     r"速やかに|早急に|拡げ|広げ|後押し"),
    "検討": re.compile(r"検討|研究|調査|検証|注視|把握|情報収集|見極め|議論|協議|意見を(?:聞|伺)|動向"),
    "慎重": re.compile(r"課題|困難|難しい|慎重|費用|経費|コスト|財源|負担|影響|条件|懸念|リスク|制約|限界|精査|"
                     r"考えておりません|予定はございません|見込めない|十分な|見極め|状況に応じ|状況を踏まえ|"
                     r"国の責任|国において|適切に対応"),
}
# a commitment to expand, which a cautious closing contradicts
_COMMITS = re.compile(
    r"(?:拡充|拡大|強化|加速|推進|充実|全力)[^。]{0,20}(?:まいります|いきます|いたします)|積極的に|全力で")
# a refusal or a doubt, which a closing that promotes contradicts
_DOUBTS = re.compile(r"慎重|困難|難しい|考えておりません|予定はございません|見込めない|見送")


def check_stance(stance: str) -> Stance:
    """The stance, or `ValueError` naming the ones there are."""
    if stance not in STANCE_NAMES:
        raise ValueError(f"unknown stance {stance!r}; choose one of {', '.join(STANCE_NAMES)}")
    return cast(Stance, stance)


def leans(text: str, stance: str) -> bool:
    """Whether a sentence says what `stance` looks for."""
    return _SIGNS[stance].search(text) is not None


def leans_only(text: str, stance: str) -> bool:
    """Whether a sentence says what `stance` looks for and what neither other stance does (推進's 拡充 and 慎重's
    課題 in one sentence serve neither alone)."""
    return leans(text, stance) and not any(leans(text, other) for other in _SIGNS if other != stance)


def contradicts(text: str, stance: str) -> bool:
    """Whether the stance's closing would contradict a sentence before it: 慎重 after a commitment to expand,
    推進 after a refusal or a doubt (検討, which studies what the city does, contradicts neither)."""
    if stance == "推進":
        return _DOUBTS.search(text) is not None
    if stance == "慎重":
        return _COMMITS.search(text) is not None
    return False
