"""Write `eval/corpus-dev.jsonl`: a small evaluation set over the project's own `corpus/`, so retrieval
quality is checked in CI without ../shared.

Each question names a file and an anchor phrase; its gold span is the speaker turn (minutes) or the paragraph
(other documents) holding the anchor, located in the file's decoded text. Run it again after editing corpus/:

    python -m eval.make_corpus_eval
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from ingest.loaders import load_file
from ingest.structure import find_turns

ROOT = Path(__file__).resolve().parents[1]
CORPUS = ROOT / "corpus"
OUT = ROOT / "eval" / "corpus-dev.jsonl"
MINUTES = "minutes/令和6年第3回定例会会議録.txt"

# (query as a staff member would ask, subtopic, file, anchor phrase inside the answer)
QUESTIONS = [
    ("生成ＡＩの試行は何人の職員を対象にどの程度利用されたか。", "生成AIの試行利用", MINUTES,
     "十五課の職員二百十人"),
    ("生成ＡＩを全庁で使い始めるのはいつからか。", "生成AIの全庁導入", MINUTES,
     "桑原美穂議員のご質問にお答えいたします"),
    ("職場によって利用が進まない場合の支援策は。", "生成AIの利用促進", MINUTES, "ＤＸ推進リーダーを置き"),
    ("書かない窓口の対象手続と効果は。", "窓口のデジタル化", MINUTES, "書かない窓口を開"),
    ("電子申請できる手続の数と件数は。", "電子申請", MINUTES, "百三十八手続"),
    ("繁忙期の窓口の待ち時間への対策は。", "窓口の混雑", MINUTES, "最大で約九十分"),
    ("個人情報が入力された事例はあったか。", "生成AIの不適切な利用", MINUTES, "二件確認されました"),
    ("学校での生成ＡＩの扱いはどうするのか。", "学校における生成AI", MINUTES, "東小学校"),
    ("デジタルが苦手な高齢者への対応は。", "デジタルデバイド対策", MINUTES, "誰一人取り残されない"),
    ("業務で使ってはいけないＡＩサービスは。", "利用禁止サービス", "guidelines/生成AI利用ガイドライン.md", "DeepSeek"),
    ("住民票の写しの手数料はいくらか。", "証明書の手数料", "faq/窓口対応FAQ.html", "300円"),
    ("仮名化した情報を生成ＡＩに入力してよいか。", "仮名化", "guidelines/個人情報の取扱い基準.txt", "仮名化"),
]


def gold_span(text: str, anchor: str, minutes: bool) -> tuple[int, int]:
    """The turn (minutes) or paragraph (other text) that holds the first occurrence of `anchor`."""
    at = text.find(anchor)
    if at < 0:
        raise ValueError(f"anchor {anchor!r} not found")
    if minutes:
        turn = next(t for t in find_turns(text) if t.start <= at < t.end)
        return turn.start, turn.end
    start = text.rfind("\n\n", 0, at)
    end = text.find("\n\n", at)
    return (0 if start < 0 else start + 2), (len(text) if end < 0 else end)


def main() -> int:
    """Write the dataset and say how many questions it holds."""
    lines: list[str] = []
    for number, (query, subtopic, path, anchor) in enumerate(QUESTIONS, start=1):
        text = load_file(CORPUS / path).text
        start, end = gold_span(text, anchor, path == MINUTES)
        record = {"qid": f"corpus-{number:02d}", "query": query, "subtopic": subtopic,
                  "relevant": [{"path": path, "start": start, "end": end}]}
        lines.append(json.dumps(record, ensure_ascii=False))
    OUT.write_text("\n".join(lines) + "\n", encoding="utf-8")
    print(f"wrote {len(lines)} questions to {OUT}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
