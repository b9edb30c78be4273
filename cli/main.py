"""The `kotae` command: `ingest`, `remove`, `repair`, `documents`, `search`, `ask`, `draft`, `serve`, `eval`, `user` and
`audit`.

Exit status: 0 success, 1 when an ingestion had failed files, 2 for bad arguments, settings, policy or store
errors, 3 when the language model endpoint failed or timed out.
Machine output (`--json`) goes to stdout; progress and errors go to stderr.
"""

from __future__ import annotations

import argparse
import json
import os
import sqlite3
import sys
from dataclasses import replace
from pathlib import Path
from typing import Any

from kotae.errors import GeneratorError, KotaeError
from kotae.settings import load_settings
from kotae.types import COMPOSERS, DESCRIBED_FIELDS
from service.drafting.consistency import describe_difference
from service.drafting.stance import STANCE_NAMES


def main(argv: list[str] | None = None) -> int:
    """Parse arguments and run one subcommand; returns the exit status."""
    from kotae.index import owner

    parser = _parser()
    args = parser.parse_args(argv)
    owner.set_command(args.command)  # how other processes name this one while it holds a store
    os.umask(0o077)  # what the store's files hold (restricted documents' text) is for the store's owner only
    try:
        result: int = args.run(args)
    except GeneratorError as exc:
        print(f"kotae: error: {exc}", file=sys.stderr)
        return 3
    except KotaeError as exc:
        print(f"kotae: error: {exc}", file=sys.stderr)
        return 2
    except sqlite3.Error as exc:
        print(f"kotae: error: the store's database failed: {exc}", file=sys.stderr)
        return 2
    except (FileNotFoundError, ValueError) as exc:
        print(f"kotae: error: {exc}", file=sys.stderr)
        return 2
    return result


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="kotae", description="Kotae (答え): cited answers from municipal documents")
    sub = parser.add_subparsers(dest="command", required=True)

    ingest = sub.add_parser("ingest", help="index files and folders (only what changed is redone)")
    ingest.add_argument("paths", nargs="*", type=Path, metavar="PATH")
    ingest.add_argument("--all", action="store_true",
                        help="also every folder ingested into the store before (and its uploads)")
    ingest.add_argument("--progress", choices=["auto", "jsonl"], default="auto",
                        help="auto: a bar on a terminal, lines otherwise; jsonl: JSON lines for programs")
    _store_and_json(ingest)
    ingest.set_defaults(run=_ingest)

    remove = sub.add_parser("remove", help="remove documents from the index (later runs skip them)")
    remove.add_argument("sources", nargs="+", metavar="SOURCE", help="as listed by the admin page / the catalogue")
    _store_and_json(remove)
    remove.set_defaults(run=_remove)

    documents = sub.add_parser("documents", help="list the documents of the store: title, date, kind, "
                                                     "municipality, status, where each field came from")
    _store_and_json(documents)
    documents.set_defaults(run=_documents)

    search = sub.add_parser("search", help="find passages for a query")
    search.add_argument("query")
    search.add_argument("-k", type=int, default=10, help="number of hits (default 10)")
    _filter_option(search)
    _store_and_json(search)
    search.set_defaults(run=_search)

    ask = sub.add_parser("ask", help="answer a question with cited sentences, or say the sources cannot")
    ask.add_argument("question")
    _filter_option(ask)
    _composer_options(ask)
    _store_and_json(ask)
    ask.set_defaults(run=_ask)

    draft = sub.add_parser("draft", help="draft a council answer (答弁案) from past answers and rules, cited")
    draft.add_argument("question", nargs="?", default=None, help="the member's question (or give --notice)")
    draft.add_argument("--notice", type=Path, default=None, metavar="FILE",
                       help="a 一般質問通告書 (.txt, .docx or .pdf): a draft for each numbered item")
    draft.add_argument("--questioner", default=None, metavar="NAME",
                       help="the member's name, for the opening (default with --notice: the notice's)")
    draft.add_argument("--answerer", default=None, metavar="TITLE",
                       help="the title the draft speaks as (市長, 教育長); default: who answered the topic last")
    draft.add_argument("--stance", choices=STANCE_NAMES, default="検討", help="default 検討")
    draft.add_argument("--docx", type=Path, default=None, metavar="FILE", help="also write the draft as Word")
    _filter_option(draft)
    _composer_options(draft)
    _store_and_json(draft)
    draft.set_defaults(run=_draft)

    user = sub.add_parser("user", help="manage users (KOTAE_AUTH=on): add, passwd, token, list, remove")
    user_sub = user.add_subparsers(dest="user_command", required=True)
    user_add = user_sub.add_parser("add", help="create a user; prints an API token as the last line")
    user_add.add_argument("name")
    user_add.add_argument("--role", choices=["staff", "admin"], required=True)
    user_add.add_argument("--groups", default="", help="access groups, comma-separated (departments)")
    user_add.add_argument("--token-expires-days", type=_days, default=None, metavar="N",
                          help="the API token expires after N days (default: valid until revoked)")
    user_passwd = user_sub.add_parser("passwd", help="set the web login password (read from stdin); "
                                                     "ends the user's web sessions")
    user_passwd.add_argument("name")
    user_token = user_sub.add_parser("token", help="issue another API token for a user (last line of stdout), "
                                                   "list their tokens, or revoke them")
    user_token.add_argument("name")
    token_action = user_token.add_mutually_exclusive_group()
    token_action.add_argument("--expires-days", type=_days, default=None, metavar="N",
                              help="the new token expires after N days (default: valid until revoked)")
    token_action.add_argument("--list", action="store_true", help="list the tokens: id, created, expires")
    token_action.add_argument("--revoke", default=None, metavar="ID|all",
                              help="revoke the token with this id (from --list), or all of them (which also "
                                   "ends the user's web sessions)")
    user_list = user_sub.add_parser("list", help="list users")
    user_remove = user_sub.add_parser("remove", help="delete a user, their tokens and sessions")
    user_remove.add_argument("name")
    for each in (user_add, user_passwd, user_token, user_list, user_remove):
        each.add_argument("--store", type=Path, default=None, help="index folder")
    user.set_defaults(run=_user)

    audit = sub.add_parser("audit", help="the audit log")
    audit_sub = audit.add_subparsers(dest="audit_command", required=True)
    export = audit_sub.add_parser("export", help="print the audit log")
    export.add_argument("--format", choices=["csv"], default="csv")
    export.add_argument("--since", default=None, help="ISO date: only events from then on")
    export.add_argument("--store", type=Path, default=None, help="index folder")
    audit.set_defaults(run=_audit)

    repair = sub.add_parser("repair", help="check the store and rebuild what is damaged from the catalogue")
    repair.add_argument("--force", action="store_true", help="rebuild the vectors even when their check passes")
    _store_and_json(repair)
    repair.set_defaults(run=_repair)

    serve = sub.add_parser("serve", help="serve the HTTP API (OpenAPI docs at /docs)")
    serve.add_argument("--store", type=Path, default=None, help="index folder (default: KOTAE_STORE_DIR or ./store)")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)
    serve.set_defaults(run=_serve)

    evaluate = sub.add_parser("eval", help="measure retrieval on a dataset with gold spans, or answers on a facts set")
    evaluate.add_argument("dataset", type=Path, metavar="DATASET.jsonl", nargs="?", default=None)
    evaluate.add_argument("--facts", type=Path, default=None, metavar="FILE",
                          help="questions with the facts an answer must state (eval/FACTS.md): fact stated, "
                               "in the first 150 characters, in a quote, refusals, length, latency")
    evaluate.add_argument("--extraction", action="append", default=[], choices=["facts", "relevance"],
                          help="with --facts: the answer extraction(s) compared (default: both)")
    evaluate.add_argument("--drafts", action="store_true",
                          help="measure 答弁案 on DATASET (its gold_answer_summary): content recall, discourse "
                               "openers, another speaker's 私, empty sections, 推進/慎重 pairs, latency")
    evaluate.add_argument("--draft-style", choices=["clean", "collage"], default="clean",
                          help="with --drafts: today's drafter (clean) or the one before issue 14 (collage)")
    evaluate.add_argument("--details", type=Path, default=None, metavar="FILE.jsonl",
                          help="with --facts or --drafts: write every question's answer or drafts there")
    evaluate.add_argument("--method", action="append", default=[], metavar="M",
                          help="lexical|dense|hybrid|default, with +exec for executive turns only; llamaindex, "
                               "llamaindex-bm25 (repeatable; default: the comparison table)")
    evaluate.add_argument("--form", action="append", default=[], choices=["query", "subtopic+query"],
                          help="query form(s) (default: both)")
    evaluate.add_argument("--data", type=Path, default=None,
                          help="folder the gold paths are relative to (default: the dataset's parent's parent)")
    evaluate.add_argument("--report", type=Path, default=None, metavar="DIR", help="write report.md and a chart")
    evaluate.add_argument("--answers", action="store_true",
                          help="also evaluate answers and drafts (citation precision, valid citations, F1)")
    evaluate.add_argument("--unanswerable", type=Path, default=None, metavar="FILE",
                          help="questions the documents cannot answer: measure the refusal rate (implies --answers)")
    _composer_options(evaluate)
    _store_and_json(evaluate)
    evaluate.set_defaults(run=_eval)
    return parser


def _filter_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--filter", action="append", default=[], metavar="KEY=VALUE",
                        help="doc_type, speaker_role, speaker, source_prefix, date_from, date_to (repeatable)")


def _composer_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--composer", choices=COMPOSERS, default="extractive",
                        help="extractive: the sources' own sentences, offline (default); llm: a configured model")
    parser.add_argument("--model", default=None, help="with --composer llm: a configured model name")


def _store_and_json(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--store", type=Path, default=None, help="index folder (default: KOTAE_STORE_DIR or ./store)")
    parser.add_argument("--json", action="store_true", help="print JSON on stdout")


def _ingest(args: argparse.Namespace) -> int:
    from cli.served import run_via_server
    from ingest.pipeline import run_ingest, store_folders
    from ingest.progress import ConsoleProgress, JsonLinesProgress, Progress

    settings = load_settings(args.store)
    paths = list(args.paths)
    if args.all:
        paths += [p for p in store_folders(settings) if p not in paths]
    if not paths:
        raise KotaeError("nothing to ingest: give PATH... or --all (the store has no folders yet)")
    for path in paths:
        if not path.exists():
            raise FileNotFoundError(f"{path}: no such file or folder")
    server = _server_holding(settings)
    if server is not None:
        summary = run_via_server(server, {"kind": "ingest", "paths": [os.path.abspath(p) for p in paths]})
    else:
        progress: Progress = JsonLinesProgress() if args.progress == "jsonl" else ConsoleProgress()
        summary = run_ingest(paths, settings, progress).as_dict()
    if args.json:
        print(json.dumps(summary, ensure_ascii=False))
    else:
        print(
            f"documents {summary['documents']}, chunks {summary['chunks']}: added {summary['added']}, updated "
            f"{summary['updated']}, removed {summary['removed']}, unchanged {summary['unchanged']}"
            + (f", re-read by this version {summary['upgraded']}" if summary.get("upgraded") else "")
            + f"; embedded {summary['embedded_chunks']} chunks in {summary['seconds']:.1f} s"
        )
        if summary.get("repaired"):
            print(f"  repaired first: {summary['repaired']}")
        for dup in summary["duplicates"]:
            print(f"  duplicate: {dup['source']} has the same content as {dup['same_as']} (not stored twice)")
        for item in summary["needs_ocr"]:
            print(f"  needs OCR: {item['source']} pages {item['pages']}")
        for failure in summary["failed"]:
            print(f"  FAILED {failure['source']}: {failure['reason']}")
        for skipped in summary.get("skipped", []):
            print(f"  skipped {skipped['source']}: {skipped['reason']}")
    return 1 if summary["failed"] else 0


def _server_holding(settings: Any) -> Any:
    """The `kotae serve` holding this embedded store, to hand a writing run to (None: the store is free, or on a
    Chroma server); `StoreInUse` when another command-line run holds it."""
    from kotae.index import owner

    if settings.store.chroma_url:
        return None
    holder = owner.holder_of(settings.store.dir)
    if holder is None:
        return None
    if holder.url and holder.token:
        return holder
    raise owner.StoreInUse(owner.busy_message(settings.store.dir, holder), holder)


def _repair(args: argparse.Namespace) -> int:
    from cli.served import run_via_server
    from ingest.pipeline import run_repair

    settings = load_settings(args.store)
    server = _server_holding(settings)
    if server is not None:
        summary = run_via_server(server, {"kind": "repair", "force": args.force})
    else:
        summary = run_repair(settings, args.force).as_dict()
    if args.json:
        print(json.dumps(summary, ensure_ascii=False))
        return 0
    vectors = {"whole": "whole", "restored": "restored", "rebuilt": "rebuilt from the catalogue"}[summary["vectors"]]
    print(f"vectors: {vectors} ({summary['reason']}); {summary['chunks']} chunks, {summary['embedded_chunks']} "
          f"embedded again; BM25 index rebuilt; {summary['seconds']:.1f} s")
    return 0


def _user(args: argparse.Namespace) -> int:
    from kotae.auth import UserStore, parse_groups

    settings = load_settings(args.store)
    users = UserStore(settings.store.dir)
    if args.user_command == "add":
        token = users.add(args.name, args.role, parse_groups(args.groups), args.token_expires_days)
        print(f"user {args.name} ({args.role}; groups: {args.groups or '-'}) created; API token"
              f"{_expiry_note(args.token_expires_days)}:", file=sys.stderr)
        print(token)
    elif args.user_command == "passwd":
        password = sys.stdin.readline().rstrip("\n")
        users.set_password(args.name, password)
        print(f"password of {args.name} set; their web sessions have ended", file=sys.stderr)
    elif args.user_command == "token":
        _user_token(users, args)
    elif args.user_command == "list":
        for u in users.users():
            print(f"{u.name}\t{u.role}\t{','.join(u.groups)}")
    elif args.user_command == "remove":
        users.remove(args.name)
        print(f"user {args.name} removed", file=sys.stderr)
    return 0


def _user_token(users: Any, args: argparse.Namespace) -> None:
    """`kotae user token NAME [--expires-days N | --list | --revoke ID|all]`."""
    if args.list:
        for info in users.tokens(args.name):
            expires = info.expires or "never"
            print(f"{info.id}\t{info.created}\t{expires}{' (expired)' if info.expired else ''}")
    elif args.revoke == "all":
        count = users.revoke_all(args.name)
        print(f"{count} token(s) of {args.name} revoked; their web sessions have ended", file=sys.stderr)
    elif args.revoke is not None:
        users.revoke_token(args.name, args.revoke)
        print(f"token {args.revoke} of {args.name} revoked", file=sys.stderr)
    else:
        token = users.new_token(args.name, args.expires_days)
        print(f"API token for {args.name}{_expiry_note(args.expires_days)}:", file=sys.stderr)
        print(token)


def _days(text: str) -> int:
    """`--expires-days`: a whole number of days, 1 to 3650."""
    from kotae.auth import MAX_TOKEN_DAYS

    if not text.isdigit() or not 1 <= int(text) <= MAX_TOKEN_DAYS:
        raise argparse.ArgumentTypeError(f"{text!r}: a whole number of days from 1 to {MAX_TOKEN_DAYS}")
    return int(text)


def _expiry_note(days: int | None) -> str:
    return f" (expires in {days} days)" if days is not None else ""


def _audit(args: argparse.Namespace) -> int:
    from service.audit import AuditLog

    settings = load_settings(args.store)
    log = AuditLog(settings.store.dir, settings.usage.audit_retention_days)
    sys.stdout.write(log.export_csv(args.since))
    return 0


def _remove(args: argparse.Namespace) -> int:
    from cli.served import run_via_server
    from ingest.pipeline import remove_documents

    settings = load_settings(args.store)
    server = _server_holding(settings)
    if server is not None:
        summary = run_via_server(server, {"kind": "remove", "sources": list(args.sources)})
    else:
        summary = remove_documents(args.sources, settings).as_dict()
    if args.json:
        print(json.dumps(summary, ensure_ascii=False))
    else:
        print(f"removed {summary['removed']}; documents {summary['documents']}, chunks {summary['chunks']}")
    return 0


def _documents(args: argparse.Namespace) -> int:
    """`kotae documents`: what GET /api/documents lists an admin (only the catalogue is read: it works while
    `kotae serve` holds the store)."""
    from contextlib import closing

    from kotae.auth import LOCAL_USER
    from kotae.index.store import StorePaths, open_catalog
    from service.api.documents import document_list

    settings = load_settings(args.store)
    with closing(open_catalog(StorePaths(settings.store.dir), create=False,
                              chroma_url=settings.store.chroma_url)) as catalog:
        listed = [d.model_dump() for d in document_list(catalog, LOCAL_USER).documents]
    if args.json:
        print(json.dumps(listed, ensure_ascii=False))
        return 0
    if not listed:
        print("no documents")
        return 0
    rows = [["SOURCE", "TITLE", "DATE", "KIND", "MUNICIPALITY", "STATUS", "CHUNKS"]]
    for d in listed:
        rows.append([d["source"], *(_field_cell(d, name) for name in DESCRIBED_FIELDS),
                     d["status"], str(d["chunks"])])
    widths = [max(_width(r[i]) for r in rows) for i in range(len(rows[0]))]
    for r in rows:
        print("  ".join(cell + " " * (w - _width(cell)) for cell, w in zip(r, widths, strict=True)).rstrip())
    if any(d["corrections"] for d in listed):
        print("* corrected by an admin")
    return 0


def _field_cell(document: dict[str, Any], name: str) -> str:
    """A field of a listed document as the table shows it: '-' when unknown, '*' after an admin's correction."""
    value = document[name]
    return f"{'-' if value is None else value}{'*' if name in (document['corrections'] or {}) else ''}"


def _width(text: str) -> int:
    """Columns `text` takes on a terminal: wide (全角) characters take two."""
    import unicodedata

    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def _search(args: argparse.Namespace) -> int:
    from kotae.locations import law_of, location
    from service.reader.search import Searcher

    settings = load_settings(args.store)
    filters = _filters(args.filter)
    searcher = Searcher(settings)
    try:
        hits = searcher.search(args.query, k=args.k, filters=filters)
    finally:
        searcher.close()
    if args.json:
        from service.api.schemas import HitOut

        payload = {"query": args.query, "hits": [HitOut.from_hit(h).model_dump() for h in hits]}
        print(json.dumps(payload, ensure_ascii=False))
        return 0
    for h in hits:
        c = h.chunk
        where = " ".join(
            x for x in (c.source, location(c, law_of(c.context, c.article)), c.date or "",
                        f"{c.speaker_title or ''}（{c.speaker}）" if c.speaker else "") if x
        )
        print(f"{h.rank:>2}. [{h.score:.4f}] {where}\n    {c.text[:160].replace(chr(10), ' ')}")
    if not hits:
        print("no hits")
    return 0


def _ask(args: argparse.Namespace) -> int:
    from service.answer import Answerer
    from service.api.schemas import AskResponse
    from service.reader.search import Searcher

    settings = load_settings(args.store)
    filters = _filters(args.filter)
    searcher = Searcher(settings)
    try:
        answer = Answerer(searcher).ask(args.question, filters, args.composer, args.model)
    finally:
        searcher.close()
    if args.json:
        print(AskResponse.from_answer(args.question, answer).model_dump_json())
        return 0
    print(answer.text)
    for c in answer.citations or answer.closest:
        print(f"  [{c.n}] {_where(c)}\n      「{_one_line(c.quote)}」")
    for u in answer.unsupported:
        print(f"  removed (unsupported): {u.sentence} — {u.reason}")
    return 0


def _draft(args: argparse.Namespace) -> int:
    from service.answer import Answerer
    from service.api.schemas import DraftResponse, NoticeResponse
    from service.docx_export import check_docx_path, write_docx, write_notice_docx
    from service.draft import Drafter
    from service.drafting.notice import parse_notice, read_notice
    from service.reader.search import Searcher

    if (args.question is None) == (args.notice is None):
        raise ValueError("give either a question or --notice FILE")
    if args.docx is not None:
        check_docx_path(args.docx)  # before any model loads
    notice = parse_notice(read_notice(args.notice)) if args.notice is not None else None
    if notice is not None and args.questioner:
        notice = replace(notice, questioner=args.questioner)
    settings = load_settings(args.store)
    searcher = Searcher(settings)
    try:
        drafter = Drafter(Answerer(searcher))
        filters = _filters(args.filter)
        if notice is not None:
            drafts = drafter.draft_notice(notice, args.stance, filters, args.composer, args.model, args.answerer)
        else:
            drafts = (drafter.draft(args.question, args.questioner, args.stance, filters, args.composer,
                                    args.model, args.answerer),)
    finally:
        searcher.close()
    if args.docx is not None:
        if notice is not None:
            write_notice_docx(drafts, args.docx, notice.questioner or None, [i.title for i in notice.items],
                              font=settings.docx.font)
        else:
            write_docx(drafts[0], args.docx, args.questioner, args.stance, font=settings.docx.font)
        print(f"wrote {args.docx}", file=sys.stderr)
    if args.json:
        response = (DraftResponse.from_draft(drafts[0]) if notice is None
                    else NoticeResponse.from_notice(notice, drafts))
        print(response.model_dump_json())
        return 0
    for i, result in enumerate(drafts):
        if notice is not None:
            item = notice.items[i]
            if i:
                print()
            print(f"■ {item.number}　{item.title}\n")
        _print_draft(result)
    return 0


def _print_draft(result: Any) -> None:
    """A draft as text: the draft, its sources, earlier answers and what a model wrote unsupported."""
    print(result.text)
    print("\n出典:")
    for c in result.citations:
        print(f"  [{c.n}] {_where(c)}\n      「{_one_line(c.quote)}」")
    if result.past_answers:
        print("\nこれまでの答弁:")
        for past in result.past_answers:
            print(f"  {_where(past.citation)}\n      「{_one_line(past.citation.quote)}」")
            for difference in past.differences:
                print(f"      ※本案と相違：{describe_difference(difference)}")
    if result.followups:
        print("\n想定される再質問:")
        for c in result.followups:
            print(f"  {_where(c)}\n      「{_one_line(c.quote)}」")
    for u in result.unsupported:
        print(f"  removed (unsupported): {u.sentence} — {u.reason}")


def _where(c: Any) -> str:
    """「title 第N条 (or p.N, sheet cells), date, 役職（氏名）, source」 for a hit's chunk or a citation."""
    from kotae.locations import cited_as

    speaker = f"{c.speaker_title or ''}（{c.speaker}）" if c.speaker else ""
    parts = (cited_as(c), c.date or "", speaker, c.source)
    return "、".join(p for p in parts if p)


def _one_line(text: str, limit: int = 200) -> str:
    flat = " ".join(text.split())
    return flat[:limit] + ("…" if len(flat) > limit else "")


def _serve(args: argparse.Namespace) -> int:
    import uvicorn

    from ingest.jobs import JobRunner
    from service.app import create_app

    settings = load_settings(args.store)
    # `kotae ingest` on this machine hands its runs to this server at the address it can reach it by.
    local = {"0.0.0.0": "127.0.0.1", "::": "::1", "": "127.0.0.1"}.get(args.host, args.host)
    url = f"http://{f'[{local}]' if ':' in local else local}:{args.port}"
    uvicorn.run(create_app(settings, JobRunner(settings), url), host=args.host, port=args.port, log_level="info",
                proxy_headers=False)  # the trusted-proxy check must see the socket's peer, not X-Forwarded-For
    return 0


def _eval(args: argparse.Namespace) -> int:
    from eval.cli import run_eval

    settings = load_settings(args.store)
    if args.facts is not None:
        from contextlib import closing

        from eval.facts import run_facts
        from service.answer import Answerer
        from service.reader.search import Searcher

        with closing(Searcher(settings)) as searcher:
            return run_facts(args.facts, Answerer(searcher), args.extraction, args.json, args.details)
    if args.dataset is None:
        raise KotaeError("kotae eval: give a DATASET.jsonl with gold spans, or --facts FILE")
    if args.drafts:
        from contextlib import closing

        from eval.drafts import run_drafts
        from service.answer import Answerer
        from service.draft import Drafter, DraftParams
        from service.reader.search import Searcher

        with closing(Searcher(settings)) as searcher:
            drafter = Drafter(Answerer(searcher), DraftParams(style=args.draft_style))
            return run_drafts(args.dataset, drafter, args.json, args.details)
    answers = args.answers or args.unanswerable is not None
    return run_eval(args.dataset, settings, args.method, args.form, args.data, args.report, args.json,
                    answers=answers, unanswerable=args.unanswerable, composer=args.composer, model=args.model)


def _filters(items: list[str]) -> Any:
    """`--filter KEY=VALUE` pairs (values may be comma-separated lists) as validated `Filters`."""
    from service.filters import LIST_KEYS, parse_filters

    raw: dict[str, Any] = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep or not value:
            raise KotaeError(f"--filter {item!r}: expected KEY=VALUE")
        if key in LIST_KEYS:
            raw.setdefault(key, []).extend(v for v in value.split(",") if v)
        else:
            raw[key] = value
    return parse_filters(raw)


if __name__ == "__main__":
    sys.exit(main())
