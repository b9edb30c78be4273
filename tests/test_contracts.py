"""Each contract is defined once in Python (kotae/types.py, kotae/formats.py, service/drafting/stance.py) and the
web pages follow it: the kinds' labels, the stances offered, the formats the upload accepts. A kind, a stance or
a format added on one side only fails here."""

from __future__ import annotations

import re
import typing
from pathlib import Path

from kotae.types import COMPOSERS, DOC_TYPES, LEGACY_DOC_TYPES, Composer
from service.api.schemas import ComposeOptions
from service.drafting.stance import STANCE_NAMES

STATIC = Path(__file__).resolve().parents[1] / "service" / "web" / "static"


def test_every_kind_has_a_label_on_the_pages() -> None:
    labels = (STATIC / "kinds.js").read_text(encoding="utf-8")
    block = re.search(r"DOC_TYPE_LABELS = \{(.*?)\};", labels, re.S)
    assert block is not None
    keys = set(re.findall(r"(\w+):\s*\"", block.group(1)))
    assert keys == set(DOC_TYPES) | set(LEGACY_DOC_TYPES)


def test_the_staff_page_offers_the_stances_a_draft_takes() -> None:
    page = (STATIC / "index.html").read_text(encoding="utf-8")
    select = re.search(r'<select id="stance"[^>]*>(.*?)</select>', page, re.S)
    assert select is not None
    assert tuple(re.findall(r'<option value="([^"]+)"', select.group(1))) == STANCE_NAMES


def test_the_api_and_the_command_line_take_the_same_composers() -> None:
    assert COMPOSERS == typing.get_args(Composer) == ("extractive", "llm")
    field = ComposeOptions.model_fields["composer"]
    assert typing.get_args(field.annotation) == COMPOSERS


def test_a_place_names_the_law_of_an_article_only_when_the_document_holds_another() -> None:
    from kotae.locations import cited_as, location
    from kotae.types import Citation

    guide = Citation(1, "c", "guide.pdf", "政務活動費の手引き", "manual", None, 26, None, None, None, 0, 1, "x",
                     article="第5条", law="南国市議会政務活動費の交付に関する規則")
    own = Citation(2, "d", "k.html", "かつらぎ町駐車場等設置条例", "ordinance", None, None, None, None, None, 0, 1, "y",
                   article="第7条", law="かつらぎ町駐車場等設置条例")
    sheet = Citation(3, "e", "fees.xlsx", "手数料一覧", "other", None, None, None, None, None, 0, 1, "z",
                     sheet="手数料", cells="A4:C4")
    assert cited_as(guide) == "政務活動費の手引き（南国市議会政務活動費の交付に関する規則 第5条）、p.26"
    assert location(guide, guide.law) == "南国市議会政務活動費の交付に関する規則 第5条、p.26"
    assert cited_as(own) == "かつらぎ町駐車場等設置条例 第7条" and location(own, own.law) == "第7条"
    assert cited_as(sheet) == "手数料一覧、手数料 A4:C4" and location(sheet) == "手数料 A4:C4"
