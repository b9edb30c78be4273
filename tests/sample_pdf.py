"""Generate the sample PDF `corpus/plans/DX推進計画.pdf` (みずほ野市ＤＸ推進計画【概要版】, 3 pages).

Usage (from the project root)::

    .venv/bin/python tests/sample_pdf.py corpus/plans/DX推進計画.pdf

The PDF uses reportlab's built-in Japanese CID fonts (HeiseiMin-W3 for body text, HeiseiKakuGo-W5 for
headings), so no font file is needed: the fonts are referenced, not embedded, and the text layer maps to
Unicode through the standard UniJIS-UCS2-H CMap, which pypdf decodes back to the original characters.
Paragraphs use reportlab's CJK line wrapping (break anywhere by character width, with kinsoku rules).

The output is deterministic: `invariant=1` fixes the creation date and document ID, so every run writes
identical bytes. The figures in the text are kept consistent with the rest of the sample corpus
(the guideline, the council minutes, the FAQ and the memo).
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from reportlab.lib import colors
from reportlab.lib.enums import TA_CENTER, TA_RIGHT
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.platypus import (
    BaseDocTemplate,
    Flowable,
    Frame,
    KeepTogether,
    PageTemplate,
    Paragraph,
    Spacer,
    Table,
    TableStyle,
)

MINCHO = "HeiseiMin-W3"
GOTHIC = "HeiseiKakuGo-W5"

TITLE = "みずほ野市ＤＸ推進計画【概要版】"


def _styles() -> dict[str, ParagraphStyle]:
    """Paragraph styles; all wrap Japanese by character width (`wordWrap="CJK"`)."""
    base = ParagraphStyle("body", fontName=MINCHO, fontSize=10.5, leading=17, wordWrap="CJK")
    return {
        "title": ParagraphStyle(
            "title", parent=base, fontName=GOTHIC, fontSize=18, leading=26, alignment=TA_CENTER, spaceAfter=4
        ),
        "subtitle": ParagraphStyle("subtitle", parent=base, alignment=TA_CENTER, spaceAfter=2),
        "issuer": ParagraphStyle("issuer", parent=base, alignment=TA_RIGHT, spaceAfter=10),
        "h1": ParagraphStyle(
            "h1",
            parent=base,
            fontName=GOTHIC,
            fontSize=13,
            leading=20,
            spaceBefore=10,
            spaceAfter=4,
            textColor=colors.HexColor("#1F4E79"),
            keepWithNext=1,
        ),
        "h2": ParagraphStyle(
            "h2",
            parent=base,
            fontName=GOTHIC,
            fontSize=11,
            leading=18,
            spaceBefore=6,
            spaceAfter=2,
            keepWithNext=1,
        ),
        "body": ParagraphStyle("body2", parent=base, firstLineIndent=10.5, spaceAfter=3),
        "item": ParagraphStyle("item", parent=base, leftIndent=21, firstLineIndent=-10.5, spaceAfter=2),
        "cell": ParagraphStyle("cell", parent=base, fontSize=9.5, leading=14),
        "cellhead": ParagraphStyle(
            "cellhead", parent=base, fontName=GOTHIC, fontSize=9.5, leading=14, alignment=TA_CENTER
        ),
        "note": ParagraphStyle("note", parent=base, fontSize=9, leading=14, spaceBefore=2),
    }


def _table(rows: list[list[str]], widths: list[float], st: dict[str, ParagraphStyle]) -> Table:
    """A ruled table whose first row is a shaded header; every cell is a wrapping paragraph."""
    data = [
        [Paragraph(text, st["cellhead"] if r == 0 else st["cell"]) for text in row]
        for r, row in enumerate(rows)
    ]
    table = Table(data, colWidths=widths, repeatRows=1)
    table.setStyle(
        TableStyle(
            [
                ("GRID", (0, 0), (-1, -1), 0.5, colors.grey),
                ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#DDEBF7")),
                ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
                ("TOPPADDING", (0, 0), (-1, -1), 3),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 4),
            ]
        )
    )
    return table


def _story() -> list[Flowable]:
    """The document content, page by page."""
    st = _styles()
    p = Paragraph
    story: list[Flowable] = [
        p(TITLE, st["title"]),
        p("計画期間：令和５年度～令和９年度", st["subtitle"]),
        p("令和５年３月策定　令和６年１０月改訂<br/>みずほ野市", st["issuer"]),
        p("１　計画の趣旨", st["h1"]),
        p(
            "本市の人口は約12万4千人で、今後も緩やかな減少が見込まれています。少子高齢化が進み、職員の確保も"
            "年々難しくなる中で、市民サービスの水準を維持し、さらに向上させていくためには、デジタル技術を"
            "積極的に活用し、行政の仕組みそのものを変えていく必要があります。",
            st["body"],
        ),
        p(
            "本計画は、国の「自治体ＤＸ推進計画」を踏まえ、本市のＤＸ（デジタル・トランスフォーメーション）を"
            "全庁一体となって進めるための基本的な方向性と具体的な取組を定めるものです。",
            st["body"],
        ),
        p(
            "令和６年１０月の改訂では、令和６年４月から実施した生成ＡＩの試行利用の結果（８月末までに利用職員"
            "187人、延べ利用回数8,460回、推計約1,970時間の業務時間削減）を踏まえ、「生成ＡＩの全庁導入」を"
            "重点取組に加えるとともに、目標値を見直しました。",
            st["body"],
        ),
        p("２　計画期間", st["h1"]),
        p(
            "令和５年度から令和９年度までの５年間とします。令和７年度に中間評価を行い、社会情勢や技術の進展に"
            "応じて必要な見直しを行います。",
            st["body"],
        ),
        p("３　基本方針", st["h1"]),
        p("基本方針１　「行かない・書かない・待たない」市役所の実現", st["h2"]),
        p(
            "オンラインで完結する手続を増やし、窓口に来られる方には、申請書を書かずに短時間で手続が済む"
            "窓口を提供します。",
            st["body"],
        ),
        p("基本方針２　デジタルで職員の働き方を変える", st["h2"]),
        p(
            "定型的な事務をデジタル技術で効率化し、生み出した時間を、相談対応や政策の企画など、職員にしか"
            "できない仕事に振り向けます。",
            st["body"],
        ),
        p("基本方針３　誰一人取り残さないデジタル化", st["h2"]),
        p(
            "スマートフォン教室の開催などによりデジタルデバイド対策を進めるとともに、情報セキュリティと"
            "個人情報の保護を徹底し、市民が安心して利用できるデジタル市役所を目指します。",
            st["body"],
        ),
        p("４　重点取組", st["h1"]),
        p("（１）書かない窓口", st["h2"]),
        p(
            "令和６年１月９日から、市民課において、転入届、転出届、転居届など12手続を対象に「書かない窓口」を"
            "開始しました。職員が聞き取りながら申請書を作成し、市民は内容を確認して署名するだけで手続が"
            "完了します。導入前に約25分だった窓口の平均所要時間は、約17分に短縮しました"
            "（令和６年８月末）。",
            st["body"],
        ),
        p("・令和７年度に保険年金課及び子育て支援課へ拡大し、対象を30手続とします。", st["item"]),
        p("・令和９年度までに対象を60手続とし、平均所要時間15分を目指します。", st["item"]),
        p("（２）生成ＡＩの全庁導入", st["h2"]),
        p(
            "令和６年４月１日から９月３０日まで、15課・210人を対象に生成ＡＩの試行利用を行いました。試行の"
            "結果を踏まえ、「みずほ野市生成ＡＩ利用ガイドライン」を令和６年１１月１日に施行し、令和７年１月６日"
            "から、正規職員約1,080人が利用できる全庁導入を行います。",
            st["body"],
        ),
        p(
            "・利用できるサービスは、入力情報がＡＩの学習に利用されず国内で処理される庁内生成ＡＩ"
            "（愛称「みずほＡＩアシスト」）に限ります。",
            st["item"],
        ),
        p("・各課にＤＸ推進リーダーを１人置き、活用事例の共有と利用の定着を図ります。", st["item"]),
        p(
            "・令和９年度までに、月１回以上利用する職員を800人、生成ＡＩによる業務削減時間を年間12,000時間とする"
            "ことを目指します。",
            st["item"],
        ),
        p("（３）電子申請の拡充", st["h2"]),
        p(
            "令和６年４月１日に子育て関係の手続や講座の申込みなど42手続を追加し、電子申請ができる手続は138手続と"
            "なりました。令和５年度の電子申請件数は約12,600件です。",
            st["body"],
        ),
        p("・令和９年度までに対象を300手続に拡大し、年間の電子申請件数40,000件を目指します。", st["item"]),
        p(
            "・申請件数の多い手続から優先してオンライン化し、手数料のキャッシュレス決済にも対応します。",
            st["item"],
        ),
        p("（４）その他の主な取組", st["h2"]),
        p(
            "・証明書のコンビニ交付の利用促進（令和６年４月から手数料を窓口より100円安い１通200円に引下げ）",
            st["item"],
        ),
        p("・基幹業務システムの標準化（住民記録、税、福祉など20業務。令和７年度末までに移行）", st["item"]),
        p("・スマートフォン教室の拡充（令和５年度24回・延べ310人参加、令和６年度は36回開催）", st["item"]),
        Spacer(1, 6),
        KeepTogether(
            [
                p("■ 主な目標指標（ＫＰＩ）", st["h2"]),
                _table(
                    [
                        ["指標", "現状値", "目標値（令和９年度）"],
                        ["書かない窓口の対象手続数", "12手続（令和６年１月）", "60手続"],
                        ["市民課窓口の平均所要時間", "約17分（令和６年８月末）<br/>※導入前 約25分", "15分"],
                        ["生成ＡＩを月１回以上利用する職員数", "187人（試行、令和６年８月末）", "800人"],
                        [
                            "生成ＡＩによる業務削減時間",
                            "約1,970時間（試行、令和６年４月～８月）",
                            "年間12,000時間",
                        ],
                        ["電子申請の対象手続数", "138手続（令和６年４月）", "300手続"],
                        ["電子申請の年間件数", "約12,600件（令和５年度）", "40,000件"],
                        ["証明書のコンビニ交付率", "28.4％（令和５年度）", "50％"],
                        ["マイナンバーカード保有率", "76.2％（令和６年７月末）", "90％"],
                    ],
                    [62 * mm, 62 * mm, 46 * mm],
                    st,
                ),
                p(
                    "※コンビニ交付率は、住民票の写し及び印鑑登録証明書の交付件数全体に占めるコンビニ交付の割合です。",
                    st["note"],
                ),
            ]
        ),
        p("５　推進体制", st["h1"]),
        p("（１）みずほ野市ＤＸ推進本部", st["h2"]),
        p(
            "市長を本部長、副市長及び教育長を副本部長とし、各部長を本部員とする全庁的な推進組織です。本計画の"
            "進行管理や、生成ＡＩの利用方針など全庁に関わる重要事項を決定します。"
            "年２回以上開催します。",
            st["body"],
        ),
        p("（２）企画部ＤＸ推進課", st["h2"]),
        p(
            "令和５年４月１日に設置した、ＤＸ推進の司令塔となる組織です。ＤＸ推進本部の事務局を担い、各課の"
            "取組の支援、生成ＡＩの利用申請の受付と研修の実施、利用ログの毎月の点検、利用状況の半期ごとの"
            "本部への報告などを行います。",
            st["body"],
        ),
        p("（３）ＤＸ推進リーダー", st["h2"]),
        p(
            "各課に１人ずつ配置し、ＤＸ推進課と連携して、職場の業務改善とデジタル技術の活用を進めます。",
            st["body"],
        ),
        p("（４）情報セキュリティ・個人情報保護", st["h2"]),
        p(
            "総務部総務課が個人情報保護の事務を所管し、「みずほ野市外部サービス利用における個人情報の取扱い基準」"
            "（令和６年１１月１日施行）に基づき、生成ＡＩ等の外部サービスの適正な利用を"
            "確保します。",
            st["body"],
        ),
        Spacer(1, 4),
        KeepTogether(
            _table(
                [
                    ["組織", "構成・役割"],
                    [
                        "ＤＸ推進本部",
                        "本部長：市長　副本部長：副市長、教育長　本部員：各部長<br/>"
                        "計画の進行管理、重要事項の決定",
                    ],
                    ["ＤＸ推進課（企画部）", "本部事務局、全庁の取組の支援、生成ＡＩの運用管理"],
                    ["ＤＸ推進リーダー", "各課１人、職場での活用の推進"],
                    ["総務課（総務部）", "個人情報保護、情報セキュリティ"],
                ],
                [50 * mm, 120 * mm],
                st,
            )
        ),
        Spacer(1, 6),
        p("６　進行管理", st["h1"]),
        p(
            "ＤＸ推進本部において、毎年度、目標指標の達成状況を評価し、その結果を市ホームページで公表するとともに、"
            "市議会に報告します。評価の結果を踏まえ、取組の見直し（ＰＤＣＡサイクル）を行います。",
            st["body"],
        ),
        Spacer(1, 14),
        p("【お問い合わせ】みずほ野市企画部ＤＸ推進課（内線2451）", st["note"]),
    ]
    return story


def _footer(canvas: Any, doc: Any) -> None:
    """Draw the page number; called at the end of each page so it follows the body in the text layer."""
    canvas.saveState()
    canvas.setFont(MINCHO, 9)
    canvas.drawCentredString(A4[0] / 2, 12 * mm, f"- {doc.page} -")
    canvas.restoreState()


def build(out: Path) -> None:
    """Write the sample PDF to `out`, creating its folder if needed."""
    pdfmetrics.registerFont(UnicodeCIDFont(MINCHO))
    pdfmetrics.registerFont(UnicodeCIDFont(GOTHIC))
    out.parent.mkdir(parents=True, exist_ok=True)
    margin = 20 * mm
    doc = BaseDocTemplate(
        str(out),
        pagesize=A4,
        leftMargin=margin,
        rightMargin=margin,
        topMargin=margin,
        bottomMargin=margin,
        title=TITLE,
        author="みずほ野市企画部ＤＸ推進課",
        subject="みずほ野市ＤＸ推進計画（令和５年度～令和９年度）概要版",
        invariant=1,
    )
    frame = Frame(
        margin,
        margin,
        A4[0] - 2 * margin,
        A4[1] - 2 * margin,
        id="body",
        leftPadding=0,
        rightPadding=0,
        topPadding=0,
        bottomPadding=0,
    )
    doc.addPageTemplates([PageTemplate(id="page", frames=[frame], onPageEnd=_footer)])
    doc.build(_story())


def main(argv: list[str]) -> int:
    """Command-line entry: one argument, the output path."""
    if len(argv) != 2:
        print(f"usage: {argv[0]} OUTPUT.pdf", file=sys.stderr)
        return 2
    build(Path(argv[1]))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
