"""Classifier throughput (docs/rules.md §2.2): texts per second for `domain.tickets.classify`.

Run on demand (never collected by pytest):

    python -m tests.bench.bench_classify [--texts 20000] [--repeat 5]

The corpus mixes the §2.2 reference texts with longer support e-mails in Arabic and English,
most of which match nothing (a P3 scans every keyword, the worst case).
"""

from __future__ import annotations

import argparse
import statistics
import time

from domain import tickets

REFERENCE = (
    "اكتشفت تسريب في trace logs",
    "Dealix أرسل رسالة بدون موافقتي",
    "Pilot stopped working today",
    "pilot STOPPED",
    "My Gmail connector won't authenticate",
    "Gmail outage",
    "calendar invite",
    "whatsapp not working",
    "سؤال بسيط عن الأسعار",
    "The secretary asked",
)
LONG_AR = (
    "السلام عليكم، نحتاج مساعدتكم في إعداد التقارير الأسبوعية للفريق، "
    "وهل يمكن تغيير موعد الاجتماع القادم إلى يوم الأحد؟ شكراً لكم على المتابعة. " * 4
)
LONG_EN = (
    "Hello team, we would like to understand how the weekly report is generated and whether "
    "we can add two more people to the workspace before the next review. Thanks a lot! " * 4
)


def corpus(size: int) -> list[tuple[str, str]]:
    texts = [*((text, "") for text in REFERENCE), ("Question", LONG_AR), ("Question", LONG_EN)]
    return [(f"{subject} #{n}", body) for n, (subject, body) in enumerate(texts * size)][:size]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--texts", type=int, default=20_000)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    texts = corpus(args.texts)
    rates = []
    for _ in range(args.repeat):
        began = time.perf_counter()
        for subject, body in texts:
            tickets.classify(subject, body)
        rates.append(len(texts) / (time.perf_counter() - began))
    p3 = [(s, b) for s, b in texts if tickets.classify(s, b).priority is tickets.Priority.P3]
    began = time.perf_counter()
    for subject, body in p3:
        tickets.classify(subject, body)
    worst = len(p3) / (time.perf_counter() - began)
    average = sum(len(s) + len(b) for s, b in texts) / len(texts)
    print(f"{len(texts):,} texts (average {average:.0f} characters), {args.repeat} runs")
    print(f"median {statistics.median(rates):,.0f} texts/s (best {max(rates):,.0f})")
    print(f"no-match texts only (every keyword tried): {worst:,.0f} texts/s")


if __name__ == "__main__":
    main()
