"""Why a file was not read, in Japanese an admin understands: `japanese_reason` maps the English one-line reasons
ingestion records (the loaders' `LoadError`s, the discovery refusals, the pipeline's own checks, an upload's
refusal) to Japanese, keeping what is particular to the file: its names, sizes, page ranges and the setting that
would change the outcome. The English stays what is stored and logged; this is for the admin page only.

The rules are one ordered table (`_RULES`): the first pattern that matches the whole reason gives the Japanese.
A reason no rule knows gives 「読み込めませんでした（詳細: <the English>）」, so nothing is ever lost.
"""

from __future__ import annotations

import re
from collections.abc import Callable

Rule = tuple[re.Pattern[str], Callable[[re.Match[str]], str]]

UNKNOWN = "読み込めませんでした（詳細: {reason}）"

# The OS's words for the errors a file system gives (`OSError.strerror`), as a Japanese admin reads them.
_OS_ERRORS = {
    "Permission denied": "読み取りの権限がありません",
    "Operation not permitted": "操作が許可されていません",
    "No such file or directory": "ファイルが見つかりません。取り込みの途中で移動・削除された可能性があります",
    "Is a directory": "ファイルではなくフォルダです",
    "Input/output error": "ディスクの読み取りに失敗しました",
    "Too many levels of symbolic links": "リンクが循環しています",
    "File name too long": "ファイル名が長すぎます",
    "Stale file handle": "ネットワークドライブとの接続が切れました",
    "No space left on device": "ディスクの空きがありません",
}


def _t(template: str) -> Callable[[re.Match[str]], str]:
    """A rule's Japanese as a template over the pattern's named groups."""
    return lambda m: template.format(**{k: v or "" for k, v in m.groupdict().items()})


def _os(text: str) -> str:
    """An OS error's words (「Permission denied」) in Japanese; unknown ones as they are."""
    return _OS_ERRORS.get(text.strip(), text.strip())


def _pages(text: str) -> str:
    """`ocr.page_ranges` output in Japanese: "pages 1-3, 7" -> 「1-3、7ページ」, "page 4" -> 「4ページ」."""
    spans = re.sub(r"^pages?\s+", "", text.strip())
    return "、".join(s.strip() for s in spans.split(",")) + "ページ"


def _extension(ext: str) -> str:
    return "拡張子のないファイルは読み込めません" if ext == "(none)" else f"この形式（{ext}）は読み込めません"


def _supported(listed: str | None) -> str:
    return f"（読み込める形式：{listed.strip()}）" if listed else ""


def _json_error(detail: str) -> str:
    """A json.JSONDecodeError message ("Expecting value: line 1 column 1 (char 0)") or a decoding error."""
    where = re.search(r"line (\d+) column (\d+)", detail)
    if detail.startswith("Expecting value: line 1 column 1 (char 0)"):
        return "中身が空か、JSON の形式ではありません"
    if where:
        return f"JSON の書き方に誤りがあります（{where[1]}行目・{where[2]}文字目のあたり）"
    if "codec can't decode" in detail:
        return "文字コードが UTF-8 ではありません。UTF-8 で保存し直してください"
    os_error = re.match(r"\[Errno \d+\] ([^:]+)", detail)
    if os_error:
        return f"ファイルを開けません（{_os(os_error[1])}）"
    return f"内容を読み取れません（詳細: {detail}）"


def _meta(m: re.Match[str]) -> str:
    """`invalid metadata file NAME: WHAT` (ingest/meta.py): the file named, what is wrong in Japanese."""
    where, what = m["where"], m["what"]
    lead = f"メタデータファイル（{where}）の内容に誤りがあります："
    if what == "expected a JSON object":
        return lead + "全体を { } で囲んだ JSON のオブジェクトにしてください"
    unknown = re.fullmatch(r"unknown field\(s\) (.+)", what)
    if unknown:
        return lead + f"使えない項目があります（{unknown[1]}）。項目名の綴りを確かめてください"
    field = re.fullmatch(r"field '(\w+)' (.+)", what)
    if field:
        name, problem = field[1], field[2]
        if problem == "must be a non-empty string":
            return lead + f"項目「{name}」は空でない文字列にしてください"
        kinds = re.fullmatch(r"must be one of (.+?) \(not (.*)\)", problem)
        if kinds:
            return lead + f"項目「{name}」の値 {kinds[2]} は使えません（使える値：{kinds[1]}）"
        if problem == "must be a non-empty list of names":
            return lead + f"項目「{name}」は名前を1つ以上並べたリストにしてください（例：[\"福祉課\"]）"
        date = re.fullmatch(r"is not a date \((.*)\)", problem)
        if date:
            return lead + (f"項目「{name}」が日付として読めません（{date[1]}）。"
                           "2024-04-01 や 令和6年4月1日 の形で書いてください")
    return lead + _json_error(what)


# A needs-OCR reason is "needs OCR: " and one or more of these parts, joined by "; " (ingest/loaders/pdf_file.py
# `_OcrReading.reason`, ingest/prepare.py `_no_text_reason`). A part starts where one of them starts.
_OCR_PART_START = re.compile(r"; (?=no text layer on |pages? \d|OCR failed on )")


def _needs_ocr(m: re.Match[str]) -> str:
    parts = [_translate(part) or part for part in _OCR_PART_START.split(m["parts"])]
    return "。".join(p.rstrip("。") for p in parts)


def _unavailable(why: str) -> str:
    """Why OCR could not run here (ocr.unavailable_reason, or that it read nothing)."""
    if why.startswith("tesseract"):
        return "OCR（tesseract）が未導入のため読めません"
    switched_off = re.match(r"OCR is switched off \((\w+)=([^;)]*)", why)
    if switched_off:
        return f"OCRが無効（{switched_off[1]}={switched_off[2]}）のため読めません"
    if why == "OCR read nothing from them":
        return "OCRでも文字を読み取れませんでした"
    return f"OCRを使えないため読めません（詳細: {why}）"


def _over_budget(m: re.Match[str]) -> str:
    """Pages past the file's OCR budget (KOTAE_OCR_MAX_PAGES pages or KOTAE_OCR_MAX_SECONDS seconds)."""
    limit = f"{m['n']} ページ" if m["unit"] == "pages" else f"{m['n']} 秒"
    return f"{_pages(m['pages'])}はOCRしていません（1ファイルのOCRは {limit}まで。{m['setting']} で変えられます）"


_PAGES = r"(?P<pages>pages? [\d, -]+?)"
_MB = r"(?P<size>[\d.,]+) MB"

_RULES: tuple[Rule, ...] = (
    # --- which files are read at all (ingest/discover.py; service/api/admin.py for uploads) ---
    (re.compile(r"unsupported file type '(?P<ext>[^']*)'(?: \(supported: (?P<listed>[^)]*)\))?"),
     lambda m: _extension(m["ext"]) + _supported(m["listed"])),
    (re.compile(r"not a kind of file Kotae reads '(?P<ext>[^']*)'(?: \(it reads (?P<listed>[^)]*)\))?"),
     lambda m: ("拡張子のないファイル" if m["ext"] == "(none)" else f"この形式（{m['ext']}）のファイル")
               + "は読み込みの対象外のため、飛ばしました" + _supported(m["listed"])),
    (re.compile(rf"file too large \({_MB} > limit (?P<limit>[\d.,]+) MB, (?P<setting>\w+)\)"),
     _t("ファイルが大きすぎます（{size} MB。上限は {limit} MB で、{setting} で変えられます）")),
    (re.compile(r"(?:the )?(?:file (?:is )?)?larger than (?P<limit>[\d.,]+) ?MB(?: \((?P<setting>\w+)\))?"),
     lambda m: f"ファイルが大きすぎます（上限は {m['limit']} MB"
               + (f" で、{m['setting']} で変えられます）" if m["setting"] else "）")),
    (re.compile(r"link leads outside the folders given \(to (?P<target>.*)\)"),
     _t("登録したフォルダの外を指すリンクのため読み込みません（リンク先：{target}）")),
    (re.compile(r"link to a folder \(not followed\)"), _t("フォルダへのリンクのため読み込みません")),
    (re.compile(r"broken link"), _t("リンク先のファイルがありません（壊れたリンク）")),
    (re.compile(r"not a regular file"), _t("通常のファイルではないため読み込みません（名前付きパイプ・デバイスなど）")),
    (re.compile(r"the file name is empty or hidden"), _t("ファイル名が空か、「.」で始まる隠しファイルです")),
    (re.compile(r"the file name has control characters or is longer than (?P<n>\d+) bytes"),
     _t("ファイル名に制御文字が含まれているか、長すぎます（上限 {n} バイト）")),
    (re.compile(r"the file is empty"), _t("ファイルが空です")),
    (re.compile(r"could not be saved: (?P<why>.*)"), lambda m: f"保存できませんでした（{_os(m['why'])}）"),
    # --- metadata files (ingest/meta.py) ---
    (re.compile(r"cannot check for metadata file (?P<path>.*?): (?P<why>[^:]*)"),
     lambda m: f"メタデータファイル（{m['path']}）があるか確かめられません（{_os(m['why'])}）"),
    (re.compile(r"invalid metadata file (?P<where>.*?): (?P<what>.*)"), _meta),
    # --- the pipeline's own checks (ingest/pipeline.py, ingest/prepare.py) ---
    (re.compile(r"a document with this path is already indexed from (?P<root>.*)"),
     _t("同じ名前（パス）の文書が別のフォルダ（{root}）から登録済みのため、取り込みません")),
    (re.compile(r"unexpected error while reading \((?P<kind>[^)]*)\)(?:: .*)?"),
     _t("読み込み中に予期しないエラーが発生しました（{kind}）")),
    (re.compile(r"no text found in the document"), _t("文書から文字を取り出せませんでした")),
    (re.compile(r"needs OCR: (?P<parts>.+)"), _needs_ocr),
    # the parts of a needs-OCR reason, and what OCR's programs said (ingest/loaders/ocr.py)
    (re.compile(rf"no text layer on {_PAGES} and (?P<why>.+)"),
     lambda m: f"文字情報のないページ（{_pages(m['pages'])}）があり、{_unavailable(m['why'])}"),
    (re.compile(rf"{_PAGES} not read: the OCR budget is (?P<n>[\d.]+) (?P<unit>pages|s) a file \((?P<setting>\w+)\)"),
     _over_budget),
    (re.compile(rf"OCR failed on {_PAGES} \((?P<why>.*)\)"),
     lambda m: f"{_pages(m['pages'])}のOCRに失敗しました（{_translate(m['why']) or m['why']}）"),
    (re.compile(r"(?P<name>\w+) timed out after (?P<s>[\d.]+) s"), _t("{name} が {s} 秒で終わりませんでした")),
    (re.compile(r"(?P<name>\w+) could not run: .*"), _t("{name} を実行できませんでした")),
    (re.compile(r"(?P<name>\w+) failed \(exit (?P<code>-?\d+)\): .*"),
     _t("{name} がエラーで終了しました（終了コード {code}）")),
    (re.compile(r"pdftoppm produced no image for page (?P<n>\d+)"), _t("{n}ページ目を画像にできませんでした")),
    # --- PDF (ingest/loaders/pdf_file.py) ---
    (re.compile(r"empty file \(0 bytes\)"), _t("ファイルが空です（0バイト）")),
    (re.compile(r"corrupt PDF: no %PDF header \(not a PDF file\)"),
     _t("PDFファイルではありません（拡張子は .pdf ですが、中身がPDFの形式ではありません）")),
    (re.compile(r"corrupt PDF: page (?P<n>\d+): .*"), _t("PDFが壊れています（{n}ページ目を読めません）")),
    (re.compile(r"truncated PDF \(no %{1,2}EOF at end\)(?:: .*)?"),
     _t("PDFが途中で切れています（コピーや保存が途中で終わった可能性があります）")),
    (re.compile(r"corrupt PDF: .*"), _t("PDFが壊れていて読めません")),
    (re.compile(r"encrypted PDF \(password required\)"),
     _t("パスワードで保護されたPDFのため読めません（パスワードを外したPDFを登録してください）")),
    (re.compile(r"encrypted PDF \(decrypting it needs the '(?P<package>[^']+)' package\)"),
     _t("暗号化されたPDFです。読むにはサーバーに {package} パッケージが必要です")),
    (re.compile(r"encrypted PDF \(cannot decrypt: .*\)"), _t("暗号化されたPDFで、暗号を解除できません")),
    # --- Word and the zip packages of Office files (ingest/loaders/docx_file.py, zipcheck.py) ---
    (re.compile(r"not a Word \.docx file \(not a valid zip package\)"),
     _t("Word（.docx）の形式ではありません（古い .doc 形式のファイルの名前だけを変えたものなど）")),
    (re.compile(r"corrupt \.docx: .*"), _t("Wordファイル（.docx）が壊れていて読めません")),
    (re.compile(r"zip package with (?P<n>[\d,]+) entries, over the limit of (?P<limit>[\d,]+)"),
     _t("ファイル内部の部品が多すぎます（{n}個、上限 {limit}個）。不正なファイルの可能性があります")),
    (re.compile(r"zip bomb: entry (?P<entry>.+) unpacks (?P<ratio>[\d,.]+) times its packed size "
                r"\(the limit is (?P<limit>[\d,.]+):1\)"),
     _t("展開すると極端に大きくなるため読み込みません（{entry} が {ratio} 倍に膨らみます。上限は {limit} 倍）。"
        "不正なファイル（zip爆弾）の可能性があります")),
    (re.compile(rf"zip package (?:declares|unpacks to more than) {_MB} unpacked, over the (?P<limit>[\d.,]+) MB "
                r"limit \((?P<setting>\w+)\)"),
     _t("展開後の大きさが上限を超えます（{size} MB、上限 {limit} MB。{setting} で変えられます）")),
    (re.compile(r"XML part (?P<part>.+) is nested more than (?P<n>\d+) elements deep.*"),
     _t("ファイル内部（{part}）の入れ子が深すぎます（上限 {n} 段）。不正なファイルの可能性があります")),
    (re.compile(r"XML part (?P<part>.+) declares a DTD .*"),
     _t("ファイル内部（{part}）に Office ファイルにはない定義（DTD）があるため読み込みません。"
        "不正なファイルの可能性があります")),
    # --- Excel and CSV (ingest/loaders/xlsx_file.py, csv_file.py) ---
    (re.compile(r"not a readable Excel workbook: not a zip package"),
     _t("Excel（.xlsx）の形式ではありません（古い .xls 形式のファイルの名前だけを変えたものなど）")),
    (re.compile(r"not a readable Excel workbook: password-protected \(encrypted\), or an old \.xls file renamed"),
     _t("パスワードで保護されたExcelファイルか、古い .xls 形式のファイルのため読めません"
        "（パスワードを外すか、.xlsx 形式で保存し直してください）")),
    (re.compile(r"not a readable Excel workbook: .*"), _t("Excelファイルが壊れていて読めません")),
    (re.compile(r"empty workbook \(no cell values\)"), _t("Excelファイルに値の入ったセルがありません")),
    (re.compile(r"not a readable CSV file: .* \(record (?P<n>\d+)\)"),
     _t("CSVファイルの{n}行目を読めません（引用符の閉じ忘れなど）")),
    (re.compile(r"empty file \(no values\)"), _t("ファイルに値がありません（空のファイルです）")),
    # --- text and HTML (ingest/loaders/text_file.py, html_file.py) ---
    (re.compile(r"empty (?:file|document) \(no text\)"), _t("文書に文字が入っていません")),
    (re.compile(r"binary content \(NUL bytes\), not a text file"),
     _t("テキストファイルではありません（文字以外のデータが含まれています）")),
    (re.compile(r"undecodable bytes: .*"),
     _t("文字コードを判別できません（UTF-8、Shift_JIS、EUC-JP のいずれでもありません）")),
    (re.compile(r"UTF-8 BOM but invalid UTF-8 at byte (?P<n>\d+)"),
     _t("UTF-8 の印（BOM）がありますが、{n}バイト目が UTF-8 として読めません")),
    (re.compile(r"cannot read file: (?P<why>.*)"), lambda m: f"ファイルを読めません（{_os(m['why'])}）"),
    # --- an OSError as Python words it ("[Errno 13] Permission denied: '/srv/...'") ---
    (re.compile(r"\[Errno \d+\] (?P<why>[^:]+)(?:: .*)?"), lambda m: f"ファイルを読めません（{_os(m['why'])}）"),
)


def _translate(reason: str) -> str | None:
    """The Japanese of the first rule that matches all of `reason`, or None."""
    text = reason.strip()
    for pattern, render in _RULES:
        match = pattern.fullmatch(text)
        if match:
            return render(match)
    return None


def japanese_reason(reason: str) -> str:
    """`reason` (an English one-line failure reason) in Japanese for the admin page; an unknown one as
    「読み込めませんでした（詳細: <reason>）」."""
    return _translate(reason) or UNKNOWN.format(reason=reason.strip())
