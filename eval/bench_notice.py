"""The 通告 workflow's time (the target: a 3-item 通告 → 3 drafts and one A4 Word file in under 3 s).

    python -m eval.bench_notice --store DIR [--notice FILE] [--rounds N]

Reads and parses the notice (default: `eval/notices/corpus-3items.txt`; `eval/notices/tokyo2020-3items.txt`
over a store of `../shared/data`), drafts every item and writes the Word file, `--rounds` times after one warm-up
round with the models loaded once, as `POST /api/draft/notice/docx` does; prints the median and the slowest round
of each step and of the whole.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

NOTICES = Path(__file__).resolve().parent / "notices"


def bench(store: Path, notice_file: Path, rounds: int) -> dict[str, list[float]]:
    """Milliseconds of each step (parse, drafts, docx, total) per round."""
    from kotae.settings import load_settings
    from service.answer import Answerer
    from service.docx_export import write_notice_docx
    from service.draft import Drafter
    from service.drafting.notice import parse_notice, read_notice
    from service.reader.search import Searcher

    settings = load_settings(store)
    searcher = Searcher(settings)
    drafter = Drafter(Answerer(searcher))
    times: dict[str, list[float]] = {"parse": [], "drafts": [], "docx": [], "total": []}
    try:
        with tempfile.TemporaryDirectory() as folder:
            for round_ in range(rounds + 1):  # round 0 warms the models up and is not counted
                began = time.perf_counter()
                notice = parse_notice(read_notice(notice_file))
                parsed = time.perf_counter()
                drafts = drafter.draft_notice(notice)
                drafted = time.perf_counter()
                write_notice_docx(drafts, Path(folder) / "notice.docx", notice.questioner or None,
                                  [i.title for i in notice.items], font=settings.docx.font)
                written = time.perf_counter()
                if round_:
                    for name, ms in (("parse", parsed - began), ("drafts", drafted - parsed),
                                     ("docx", written - drafted), ("total", written - began)):
                        times[name].append(ms * 1000)
            print(f"{notice_file.name}: {len(notice.items)} items, {sum(d.grounded for d in drafts)} drafts grounded")
    finally:
        searcher.close()
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--store", type=Path, required=True)
    parser.add_argument("--notice", type=Path, default=NOTICES / "corpus-3items.txt")
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    times = bench(args.store, args.notice, args.rounds)
    for name, values in times.items():
        print(f"{name:7s} median {statistics.median(values):7.0f} ms   slowest {max(values):7.0f} ms")


if __name__ == "__main__":
    main()
