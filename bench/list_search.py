"""Contact list and search timings on a seeded database (see bench/seed.py); prints one JSON object.

    python bench/list_search.py                                   # bench/results/bench.db
    python bench/list_search.py --engine postgresql --cleanup     # schema crm_bench, dropped afterwards

Every query kind runs ``--runs`` times with varying values taken from the data (names, e-mails, phones in
several written forms, references, cities, tags, custom values); custom-field filters, the tag sort and
custom searches use the fields bench/seed.py defines. Each figure is p50/p95 in milliseconds of one service
call in its own short transaction, the way the list page calls it. ``targets`` compares the worst p95 per
group with the goals: search 50 ms, first page 30 ms, next page 30 ms, count 100 ms, bulk tag of 10,000
contacts 3 s.
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
import time
from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from sqlalchemy import Engine, create_engine, func, text  # noqa: E402
from sqlmodel import Session, select  # noqa: E402

import crm_app.models  # noqa: E402,F401  (loads every table)
from bench.seed import DEFAULT_SQLITE, PG_SCHEMA, postgres_engine  # noqa: E402
from crm_app.contacts import bulk  # noqa: E402
from crm_app.contacts.models import Address, Contact, Email, Phone, Tag  # noqa: E402
from crm_app.contacts.search.filters import ContactFilter, ContactSort, CustomFilter  # noqa: E402
from crm_app.contacts.search.query import count_contacts, search_contacts  # noqa: E402
from crm_app.db import build_engine, normalise_url  # noqa: E402

TARGETS_MS = {"search": 50, "first_page": 30, "next_page": 30, "count": 100}
BULK_TARGET_S = 3.0
SORT_FIELDS = ("name", "reference", "kind", "city", "updated", "created", "assigned", "email", "phone", "tags")
SECTORS = ("Retail", "Construction", "Hospitality", "Health", "Transport", "Agriculture")


def _percentiles(samples: list[float]) -> dict[str, float]:
    ordered = sorted(samples)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    return {"p50": round(statistics.median(ordered), 2), "p95": round(p95, 2), "n": len(ordered)}


class Bench:
    """Runs timed calls, each in a fresh session (short transaction, like a request)."""

    def __init__(self, engine: Engine, runs: int, seed: int):
        self.engine = engine
        self.runs = runs
        self.rng = random.Random(seed)
        self.results: dict[str, dict[str, Any]] = {}

    def time(self, group: str, name: str, call: Callable[[Session, int], Any]) -> None:
        """Run ``call(session, i)`` ``runs`` times (after one warm-up) and keep p50/p95."""
        samples = []
        cpu = []
        for index in range(self.runs + 1):
            with Session(self.engine, expire_on_commit=False) as session:
                started, started_cpu = time.perf_counter(), time.thread_time()
                call(session, index)
                elapsed = (time.perf_counter() - started) * 1000
                elapsed_cpu = (time.thread_time() - started_cpu) * 1000
                session.rollback()
            if index:
                samples.append(elapsed)
                cpu.append(elapsed_cpu)
        figures = _percentiles(samples)
        cpu_figures = _percentiles(cpu)
        self.results[f"{group}.{name}"] = {
            "group": group,
            **figures,
            "cpu_p50": cpu_figures["p50"],
            "cpu_p95": cpu_figures["p95"],
        }


def _sample_values(engine: Engine, rng: random.Random, size: int) -> dict[str, list[Any]]:
    with Session(engine) as session:
        high = session.exec(select(func.max(Contact.id))).one() or 1
        ids = [rng.randrange(1, high + 1) for _ in range(size * 4)]
        contacts = session.exec(
            select(Contact.first_name, Contact.last_name, Contact.company_name, Contact.reference).where(
                Contact.id.in_(ids)
            )
        ).all()
        customs = session.exec(select(Contact.custom).where(Contact.id.in_(ids))).all()
        phones = session.exec(
            select(Phone.raw, Phone.e164, Phone.national_digits).where(Phone.contact_id.in_(ids))
        ).all()
        emails = session.exec(select(Email.address).where(Email.contact_id.in_(ids))).all()
        cities = session.exec(select(Address.city).where(Address.contact_id.in_(ids))).all()
        tags = session.exec(select(Tag.id, Tag.name).where(Tag.system_key.is_(None))).all()
        conflict = session.exec(select(Tag.id).where(Tag.system_key == "conflict")).first()
        session.rollback()
    people = [(f, last) for f, last, _c, _r in contacts if f and last]
    companies = [c for _f, _l, c, _r in contacts if c]
    french = [p for p in phones if p[1].startswith("+33")]
    return {
        "people": people,
        "companies": companies,
        "references": [r for *_x, r in contacts],
        "phones": phones,
        "french_phones": french or phones,
        "emails": list(emails),
        "cities": [c for c in cities if c],
        "tags": list(tags),
        "conflict": [conflict],
        "cards": [c["loyalty_card"] for c in customs if isinstance(c, dict) and c.get("loyalty_card")] or ["LC-000001"],
    }


def _typo(name: str) -> str:
    """A last name typed with its middle letter left out ("Lefebvre" -> "lefevre")."""
    word = name.lower().split()[-1].split("-")[-1]
    return word[: len(word) // 2] + word[len(word) // 2 + 1 :] if len(word) >= 6 else word


def _pick(values: list[Any], index: int) -> Any:
    return values[index % len(values)]


def _choice(key: str, index: int) -> tuple[CustomFilter, ...]:
    """A filter on one option of a seeded choice field (bench/seed.py CUSTOM_FIELDS)."""
    options = ("morning", "afternoon", "evening") if key == "preferred_time" else tuple(s.lower() for s in SECTORS)
    return (CustomFilter(key=key, values=(_pick(options, index),)),)


def run(engine: Engine, runs: int, seed: int, *, bulk_size: int = 10_000) -> dict[str, Any]:
    """Every query kind; returns the figures."""
    bench = Bench(engine, runs, seed)
    values = _sample_values(engine, bench.rng, max(runs, 50))
    people, phones, fr = values["people"], values["phones"], values["french_phones"]
    tag_ids = [tag_id for tag_id, _name in values["tags"]]
    # The seed spreads creations over five years before today and updates after them; a month a year ago
    # (the bulk actions below update contacts now, so a recent window would grow from run to run).
    year_ago = date.today() - timedelta(days=365)
    past_month = {"updated_from": year_ago - timedelta(days=30), "updated_to": year_ago}

    def search(query: Callable[[int], str], **filters: Any) -> Callable[[Session, int], Any]:
        return lambda s, i: search_contacts(s, filter=ContactFilter(query=query(i), **filters), with_total=False)

    searches: dict[str, Callable[[Session, int], Any]] = {
        "name_prefix_3": search(lambda i: _pick(people, i)[1][:3]),
        "name_prefix_5": search(lambda i: _pick(people, i)[1][:5]),
        "first_name": search(lambda i: _pick(people, i)[0]),
        "full_name": search(lambda i: " ".join(_pick(people, i))),
        "full_name_without_accents": search(lambda i: " ".join(_pick(people, i)).translate(_ASCII)),
        "full_name_lower_case_partial": search(
            lambda i: f"{_pick(people, i)[0][:3]} {_pick(people, i)[1][:4]}".lower()
        ),
        "company": search(lambda i: _pick(values["companies"], i)),
        "email_full": search(lambda i: _pick(values["emails"], i)),
        "email_local_part": search(lambda i: _pick(values["emails"], i).split("@")[0]),
        "email_domain": search(lambda i: _pick(values["emails"], i).split("@")[1]),
        "phone_as_stored": search(lambda i: _pick(phones, i)[0]),
        "phone_national_spaced": search(
            lambda i: " ".join(_pick(fr, i)[2][j : j + 2] for j in range(0, len(_pick(fr, i)[2]), 2))
        ),
        "phone_national_compact": search(lambda i: _pick(fr, i)[2]),
        "phone_international_prefix": search(
            lambda i: f"+{_pick(fr, i)[1][1:3]} {_pick(fr, i)[1][3]} {_pick(fr, i)[1][4:6]}"
        ),
        "phone_0033_prefix": search(lambda i: "00" + _pick(fr, i)[1][1:8]),
        "phone_last_4_digits": search(lambda i: _pick(phones, i)[1][-4:]),
        "reference": search(lambda i: _pick(values["references"], i)),
        "city": search(lambda i: _pick(values["cities"], i)),
        "tag_name": search(lambda i: _pick(values["tags"], i)[1]),
        "custom_text_value": search(lambda i: _pick(values["cards"], i)),
        "custom_choice_label": search(lambda i: _pick(SECTORS, i)),
        "search_with_custom_filter": lambda s, i: search_contacts(
            s,
            filter=ContactFilter(query=_pick(people, i)[1][:4], custom=_choice("preferred_time", i)),
            with_total=False,
        ),
        "search_with_filters": search(
            lambda i: _pick(people, i)[1][:4], kind="person", assigned_user_ids=(1, 2, 3, 4, 5)
        ),
        "search_with_tag_filter": lambda s, i: search_contacts(
            s, filter=ContactFilter(query=_pick(people, i)[1][:4], tag_ids=(_pick(tag_ids, i),)), with_total=False
        ),
        "search_sorted_by_city": lambda s, i: search_contacts(
            s,
            filter=ContactFilter(query=_pick(people, i)[1][:4]),
            sort=ContactSort(field="city"),
            with_total=False,
        ),
        "search_updated_in_a_month": lambda s, i: search_contacts(
            s, filter=ContactFilter(query=_pick(people, i)[1][:4], **past_month), with_total=False
        ),
        "search_created_since": lambda s, i: search_contacts(
            s, filter=ContactFilter(query=_pick(people, i)[1][:4], created_from=year_ago), with_total=False
        ),
    }
    # Names typed another way (bench/seed.py seeds Müller, N'Diaye, Le Goff, Kowalska-Nowak, Großmann) and typos.
    variants = {
        "variant_mueller": "mueller",
        "variant_ndiaye": "ndiaye",
        "variant_legoff": "legoff",
        "variant_kowalskanowak": "kowalskanowak",
        "variant_grossmann": "grossmann",
        "typo_lefebre": "lefebre",
        "typo_wisnewska": "wisnewska",
        "typo_kowalsky": "kowalsky",
        "typo_with_first_name": "marie lefebre",
    }
    for name, query in variants.items():
        searches[name] = search(lambda i, query=query: query)
    searches["typo_sampled_last_name"] = search(lambda i: _typo(_pick(people, i)[1]))
    for name, call in searches.items():
        bench.time("search", name, call)

    filters: dict[str, ContactFilter | Callable[[int], ContactFilter]] = {
        "default": ContactFilter(),
        "include_archived": ContactFilter(archived="include"),
        "archived_only": ContactFilter(archived="only"),
        "organisations": ContactFilter(kind="organization"),
        "suppliers": ContactFilter(suppliers_only=True),
        "conflict": ContactFilter(conflict_only=True),
        "tag_any": lambda i: ContactFilter(tag_ids=(_pick(tag_ids, i), _pick(tag_ids, i + 7))),
        "tag_all": lambda i: ContactFilter(tag_ids=(_pick(tag_ids, i), _pick(tag_ids, i + 7)), tag_mode="all"),
        "assigned": lambda i: ContactFilter(assigned_user_ids=(1 + i % 20,)),
        "unassigned": ContactFilter(unassigned=True),
        "channel": lambda i: ContactFilter(channel_ids=(1 + i % 8,)),
        "created_range": ContactFilter(created_from=date(2024, 1, 1), created_to=date(2024, 3, 31)),
        "created_since": ContactFilter(created_from=year_ago),
        "updated_in_a_month": ContactFilter(**past_month),
        "custom_choice": lambda i: ContactFilter(custom=_choice("preferred_time", i)),
        "custom_checkbox": ContactFilter(custom=(CustomFilter(key="newsletter", values=("1",)),)),
        "custom_date_range": ContactFilter(
            custom=(CustomFilter(key="next_visit", date_from=date(2026, 1, 1), date_to=date(2026, 3, 31)),)
        ),
        # Open-ended: visits due from today on (many), and visits more than 13 months overdue (next to none).
        "custom_date_from": ContactFilter(custom=(CustomFilter(key="next_visit", date_from=date.today()),)),
        "custom_date_until": ContactFilter(
            custom=(CustomFilter(key="next_visit", date_to=date.today() - timedelta(days=400)),)
        ),
        "custom_with_tag_and_kind": lambda i: ContactFilter(
            kind="organization", tag_ids=(_pick(tag_ids, i),), custom=_choice("sector", i)
        ),
        "combined": lambda i: ContactFilter(
            kind="person", tag_ids=(_pick(tag_ids, i),), assigned_user_ids=(1 + i % 20,), channel_ids=(1 + i % 8,)
        ),
    }

    def as_filter(spec: Any, i: int) -> ContactFilter:
        return spec(i) if callable(spec) else spec

    for name, spec in filters.items():
        bench.time(
            "first_page",
            f"filter_{name}",
            lambda s, i, spec=spec: search_contacts(s, filter=as_filter(spec, i), with_total=False),
        )
    for field in SORT_FIELDS:
        for direction in ("asc", "desc"):
            bench.time(
                "first_page",
                f"sort_{field}_{direction}",
                lambda s, i, field=field, direction=direction: search_contacts(
                    s, filter=ContactFilter(), sort=ContactSort(field=field, direction=direction), with_total=False
                ),
            )

    cursors: dict[str, str | None] = {}

    def next_page(field: str, query: str = "") -> Callable[[Session, int], Any]:
        def call(s: Session, i: int) -> Any:
            key = f"{field}:{query}"
            page = search_contacts(
                s,
                filter=ContactFilter(query=query),
                sort=ContactSort(field=field),
                page=2 + i,
                cursor=cursors.get(key),
                with_total=False,
            )
            cursors[key] = page.next_cursor
            return page

        return call

    for field in ("name", "city", "updated"):
        with Session(engine) as session:
            first = search_contacts(session, filter=ContactFilter(), sort=ContactSort(field=field), with_total=False)
            cursors[f"{field}:"] = first.next_cursor
            session.rollback()
        bench.time("next_page", f"sort_{field}", next_page(field))
    with Session(engine) as session:
        query = people[0][1][:3]
        first = search_contacts(session, filter=ContactFilter(query=query), with_total=False)
        cursors[f"relevance:{query}"] = first.next_cursor
        session.rollback()
    bench.time("next_page", "search_ranked", next_page("relevance", query))
    with Session(engine) as session:
        first = search_contacts(session, filter=ContactFilter(query="lefebre"), with_total=False)
        cursors["relevance:lefebre"] = first.next_cursor
        session.rollback()
    bench.time("next_page", "search_typo", next_page("relevance", "lefebre"))
    bench.time(
        "deep_page",
        "offset_page_200",
        lambda s, i: search_contacts(s, filter=ContactFilter(), page=200 + i, with_total=False),
    )
    bench.time(
        "deep_page",
        "offset_page_50_of_search",
        lambda s, i: search_contacts(s, filter=ContactFilter(query=_pick(people, i)[1][:3]), page=50, with_total=False),
    )

    counts: dict[str, Callable[[int], ContactFilter]] = {
        "all": lambda i: ContactFilter(),
        "search_broad": lambda i: ContactFilter(query=_pick(people, i)[1][:3]),
        "search_narrow": lambda i: ContactFilter(query=" ".join(_pick(people, i))),
        "phone": lambda i: ContactFilter(query=_pick(phones, i)[1][-4:]),
        "tag": lambda i: ContactFilter(tag_ids=(_pick(tag_ids, i),)),
        "filters_combined": lambda i: ContactFilter(kind="person", assigned_user_ids=(1 + i % 20,)),
        "search_and_filters": lambda i: ContactFilter(query=_pick(people, i)[1][:3], kind="person"),
        "search_typo": lambda i: ContactFilter(query="lefebre"),
        "search_variant": lambda i: ContactFilter(query="mueller"),
        "custom_choice": lambda i: ContactFilter(custom=_choice("preferred_time", i)),
        "custom_date_range": lambda i: ContactFilter(
            custom=(CustomFilter(key="next_visit", date_from=date(2026, 1, 1), date_to=date(2026, 3, 31)),)
        ),
        "custom_date_from": lambda i: ContactFilter(custom=(CustomFilter(key="next_visit", date_from=date.today()),)),
        "custom_date_until": lambda i: ContactFilter(
            custom=(CustomFilter(key="next_visit", date_to=date.today() - timedelta(days=400)),)
        ),
    }
    for name, make in counts.items():
        bench.time("count", name, lambda s, i, make=make: count_contacts(s, filter=make(i)))
    bench.time(
        "list_with_count",
        "first_page_and_total",
        lambda s, i: search_contacts(s, filter=ContactFilter(query=_pick(people, i)[1][:4])),
    )

    bulk_result = _bulk(engine, bulk_size)
    groups: dict[str, float] = {}
    cpu_groups: dict[str, float] = {}
    for _name, figures in bench.results.items():
        group = figures["group"]
        groups[group] = max(groups.get(group, 0.0), figures["p95"])
        cpu_groups[group] = max(cpu_groups.get(group, 0.0), figures["cpu_p95"])
    targets = {
        "search_p95_ms": {"worst": groups.get("search"), "target": TARGETS_MS["search"]},
        "first_page_p95_ms": {"worst": groups.get("first_page"), "target": TARGETS_MS["first_page"]},
        "next_page_p95_ms": {"worst": groups.get("next_page"), "target": TARGETS_MS["next_page"]},
        "count_p95_ms": {"worst": groups.get("count"), "target": TARGETS_MS["count"]},
        "bulk_tag_10000_s": {"worst": bulk_result["add_tag_s"], "target": BULK_TARGET_S},
    }
    for figures in targets.values():
        figures["met"] = figures["worst"] is not None and figures["worst"] <= figures["target"]
    return {
        "queries": bench.results,
        "worst_p95_by_group_ms": groups,
        "worst_cpu_p95_by_group_ms": cpu_groups,
        "bulk": bulk_result,
        "targets": targets,
    }


_ASCII = str.maketrans("ąćęłńóśźżéèêëàâäîïôöûüùçœæÉÈŁŚŻŹĆ", "acelnoszzeeeeaaaiioouuucoaEELSZZC")


def _bulk(engine: Engine, size: int) -> dict[str, Any]:
    """Tag ``size`` contacts in batches of 1,000 (one transaction each), then take the tag off again."""
    with Session(engine) as session:
        ids = list(session.exec(select(Contact.id).order_by(Contact.id.desc()).limit(size)).all())
        tag = Tag(name=f"bench-{int(time.time())}")
        session.add(tag)
        session.commit()
        tag_id = tag.id
    with Session(engine, expire_on_commit=False) as session:
        started = time.perf_counter()
        added = bulk.bulk_add_tag(session, ids=ids, tag_id=tag_id, actor_id=None)
        session.commit()
        add_s = time.perf_counter() - started
    with Session(engine, expire_on_commit=False) as session:
        started = time.perf_counter()
        removed = bulk.bulk_remove_tag(session, ids=ids, tag_id=tag_id, actor_id=None)
        session.commit()
        remove_s = time.perf_counter() - started
    with Session(engine) as session:
        session.exec(text("DELETE FROM audit_entry WHERE entity = 'tag' AND entity_id = :t").bindparams(t=tag_id))
        session.delete(session.get(Tag, tag_id))
        session.commit()
    return {
        "contacts": size,
        "add_tag_s": round(add_s, 2),
        "add_changed": added.changed,
        "add_batches": added.batches,
        "remove_tag_s": round(remove_s, 2),
        "remove_changed": removed.changed,
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--engine", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument("--database-url", default=None, help="default: bench/results/bench.db or CRM_TEST_POSTGRES_URL")
    parser.add_argument("--pg-schema", default=PG_SCHEMA)
    parser.add_argument("--runs", type=int, default=30, help="timed calls per query kind")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--bulk", type=int, default=10_000, help="contacts tagged by the bulk benchmark")
    parser.add_argument("--cleanup", action="store_true", help="PostgreSQL: drop the bench schema at the end")
    args = parser.parse_args(argv)
    if args.engine == "sqlite":
        engine = build_engine(args.database_url or f"sqlite:///{DEFAULT_SQLITE}")
    else:
        engine = postgres_engine(args.database_url, args.pg_schema)
    try:
        with Session(engine) as session:
            contacts = session.exec(select(func.count()).select_from(Contact)).one()
            session.rollback()
        started = time.perf_counter()
        result = run(engine, args.runs, args.seed, bulk_size=args.bulk)
        result = {
            "engine": engine.dialect.name,
            "contacts": contacts,
            "runs": args.runs,
            "elapsed_s": round(time.perf_counter() - started, 1),
            **result,
        }
    finally:
        engine.dispose()
        if args.engine == "postgresql" and args.cleanup:
            url = normalise_url(args.database_url or "postgresql://postgres@127.0.0.1:5432/test")
            admin = create_engine(url, isolation_level="AUTOCOMMIT")
            with admin.connect() as conn:
                conn.execute(text(f'DROP SCHEMA IF EXISTS "{args.pg_schema}" CASCADE'))
            admin.dispose()
    print(json.dumps(result))


if __name__ == "__main__":
    main()
