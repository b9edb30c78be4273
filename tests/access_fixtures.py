"""A store for access tests: a copy of `corpus/` plus confidential documents of 人事課 in `hr/` (its
`_meta.json` sets `"access_groups": ["人事課"]`) and of the audit office in `kansa/`; and the users who ask: an
admin, a 人事課 and a 総務課 member."""

from __future__ import annotations

import json
import shutil
from dataclasses import dataclass
from pathlib import Path

import pytest
from kotae_env import clear_kotae_env

from ingest.pipeline import run_ingest
from kotae.auth import UserStore
from kotae.settings import Settings, load_settings

REPO = Path(__file__).resolve().parents[1]
CODE_WORD = "極秘コード黄昏"
NOTICE_TITLE = "令和七年度人事異動内示（極秘）"
NOTICE_TYPE = "人事内示"  # a document type only the confidential notice has
POLICY_TITLE = "生成ＡＩ試行及び書かない窓口に係る職員配置方針"
SECRET_MINUTES_TITLE = "令和七年みずほ野市議会秘密会会議録"
SECRET_SOURCES = ("hr/人事異動内示.txt", "hr/職員配置方針.txt", "hr/秘密会会議録.txt")
# A document of the audit office, whose group name is ASCII (`kansa`): the header mode is tried with it too.
AUDIT_SOURCE = "kansa/内部監査メモ.txt"
AUDIT_MEMO = f"""内部監査メモ（監査委員事務局限り）
令和七年二月五日

{CODE_WORD}。書かない窓口の委託契約について、内部監査で確認すべき事項を記す。
"""
# Strings that appear only in the restricted documents (their code word, titles, paths and phrases).
SECRET_MARKERS = ("黄昏", "人事異動内示", "人事内示", "職員配置方針", "秘密会", "ＡＩ窓口推進室", "hr/", "人事課",
                  "内部監査メモ", "kansa")

NOTICE = f"""{NOTICE_TITLE}
令和七年二月三日　総務部人事課

{CODE_WORD}。本書は人事課限りの資料であり、複写及び転送を禁止する。
生成ＡＩの試行利用を担当した企画部の職員八名を、令和七年四月一日付けで新設のＡＩ窓口推進室に異動させる。
書かない窓口を担当する市民課の職員六名についても、同日付けでＡＩ窓口推進室に異動させ、書かない窓口の拡大を担当させる。
生成ＡＩの試行利用の結果、業務時間の削減効果が大きかった職員を推進室の主任に充てる。
"""

POLICY = f"""{POLICY_TITLE}
令和七年一月二十日　総務部人事課

{CODE_WORD}に基づく職員配置の方針を定める。
生成ＡＩの試行利用の結果を踏まえ、全庁導入に必要な職員をＡＩ窓口推進室に集約する。
書かない窓口の対象を三十手続に拡大するため、市民課の窓口職員を六名増員する。
この方針は人事異動内示の発表まで公表しない。
"""

SECRET_MINUTES = f"""{SECRET_MINUTES_TITLE}
令和七年二月十日（月曜日）

○議長（大槻重雄君）　ただいまから秘密会を開きます。

○十二番（桑原美穂君）　生成ＡＩの試行利用と書かない窓口の拡大に伴う職員配置について伺います。

○総務部長（黒田玲子君）　お答えいたします。{CODE_WORD}に基づき、
　生成ＡＩの試行利用を担当した職員八名と、書かない窓口を担当する職員六名を、
　令和七年四月一日付けで新設のＡＩ窓口推進室に異動させる予定でございます。
　書かない窓口の拡大と生成ＡＩの全庁導入は、この推進室が一体で進めてまいります。

○議長（大槻重雄君）　以上で秘密会を閉じます。
"""


def build_docs(root: Path) -> Path:
    """`root/docs`: the corpus plus the confidential `hr/` (人事課) and `kansa/` (kansa) folders."""
    docs = root / "docs"
    shutil.copytree(REPO / "corpus", docs)
    hr = docs / "hr"
    hr.mkdir()
    (hr / "_meta.json").write_text(json.dumps({"access_groups": ["人事課"]}, ensure_ascii=False), encoding="utf-8")
    (hr / "人事異動内示.txt").write_text(NOTICE, encoding="utf-8")
    (hr / "人事異動内示.txt.meta.json").write_text(json.dumps({"doc_type": NOTICE_TYPE}, ensure_ascii=False),
                                                  encoding="utf-8")
    (hr / "職員配置方針.txt").write_text(POLICY, encoding="utf-8")
    (hr / "秘密会会議録.txt").write_text(SECRET_MINUTES, encoding="utf-8")
    kansa = docs / "kansa"
    kansa.mkdir()
    (kansa / "_meta.json").write_text(json.dumps({"access_groups": ["kansa"]}), encoding="utf-8")
    (docs / AUDIT_SOURCE).write_text(AUDIT_MEMO, encoding="utf-8")
    return docs


def build_store(root: Path, extra: dict[str, str] | None = None) -> Path:
    """Ingest `build_docs(root)`, plus `extra` files (path -> UTF-8 text), into `root/store`; returns the store."""
    docs = build_docs(root)
    for name, text in (extra or {}).items():
        (docs / name).parent.mkdir(parents=True, exist_ok=True)
        (docs / name).write_text(text, encoding="utf-8")
    store = root / "store"
    with pytest.MonkeyPatch.context() as mp:
        clear_kotae_env(mp)
        summary = run_ingest([docs], load_settings(store))
    assert summary.failed == [], summary.failed
    return store


@dataclass(frozen=True)
class Tokens:
    """API tokens of the three users of an access store."""

    admin: str
    hr: str
    soumu: str


def add_users(store: Path) -> Tokens:
    """An admin (DX推進課), a 人事課 member and a 総務課 member."""
    users = UserStore(store)
    return Tokens(admin=users.add("kanri", "admin", ["DX推進課"]), hr=users.add("jinji", "staff", ["人事課"]),
                  soumu=users.add("soumu", "staff", ["総務課"]))


def bearer(token: str) -> dict[str, str]:
    """The Authorization header for an API token."""
    return {"Authorization": f"Bearer {token}"}


def settings_for(store: Path, **env: str) -> Settings:
    """Settings for `store` with sign-in on (KOTAE_AUTH=on) and `env` on top, nothing from the developer's shell."""
    with pytest.MonkeyPatch.context() as mp:
        clear_kotae_env(mp)
        mp.setenv("KOTAE_AUTH", "on")
        for key, value in env.items():
            mp.setenv(key, value)
        return load_settings(store)
