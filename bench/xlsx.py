"""Excel import and export at scale; prints one JSON object.

    python -m bench.xlsx                       # 100,000 rows into a database of 100,000 contacts (SQLite)
    python -m bench.xlsx --rows 20000 --existing 20000

Seeds the database with ``bench.seed``, writes a realistic workbook (15 columns, 5% invalid rows, 10% rows
matching existing contacts by e-mail), then times in separate processes (so each peak memory is its own):
openpyxl alone reading the file (just before and just after the import: their mean is the yardstick), the
import end to end (upload checks, mapping, dry run, run), and an export of 100,000 contacts. Targets: import
≤ 60 s and ≤ 3 × openpyxl alone, export ≤ 20 s, peak memory ≤ 500 MB (the import's: its process and the dry
run's reading child together, sampled every 20 ms; each one's own peak and the child's CPU time are reported
too).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

HEADERS = [
    "Type",
    "Prénom",
    "Nom",
    "Société",
    "Téléphone",
    "E-mail",
    "Adresse",
    "Code postal",
    "Ville",
    "Pays",
    "Tags",
    "Notes",
    "SIRET",
    "Fournisseur",
    "Remise",
]
FIRST = ["Jean", "Marie", "Zofia", "Łukasz", "Anna", "Émile", "Olivia", "Jakub", "Chloé", "Piotr", "Harry", "Agnès"]
LAST = ["Martin", "Nowak", "Kowalski", "Lefèvre", "Wiśniewska", "Smith", "Dubois", "Zieliński", "Brown", "Moreau"]
CITIES = [("Paris", "75011", "France"), ("Kraków", "31-001", "Pologne"), ("Lyon", "69002", "FR"), ("London", "", "GB")]
TAGS = ["VIP", "Client", "Garantie", "Relance", "Nouveau"]


def _peak_mb() -> float:
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


def _children() -> dict[str, float]:
    """CPU time and peak memory of the child processes a phase waited for (the dry run's workbook reader)."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return {"cpu_s": round(usage.ru_utime + usage.ru_stime, 2), "peak_mb": round(usage.ru_maxrss / 1024, 1)}


FRENCH_MOBILE = ("06 12", "06 23", "06 34", "06 45", "06 56", "06 78", "07 81")
POLISH_MOBILE = ("501", "512", "530", "570", "601", "660", "690", "720", "730", "780", "790", "880")


def _phone(rng: random.Random) -> str:
    """A valid number (the broken rows are broken on purpose, elsewhere)."""
    if rng.random() < 0.5:
        return f"{rng.choice(FRENCH_MOBILE)} {rng.randint(10, 99)} {rng.randint(10, 99)} {rng.randint(10, 99)}"
    return f"+48 {rng.choice(POLISH_MOBILE)} {rng.randint(100, 999)} {rng.randint(100, 999)}"


def write_workbook(path: Path, rows: int, existing_emails: list[str], seed: int = 7) -> dict[str, int]:
    """A messy but realistic file: persons and companies, some invalid cells, some known e-mails."""
    from openpyxl import Workbook

    rng = random.Random(seed)
    workbook = Workbook(write_only=True)
    ws = workbook.create_sheet("Clients")
    ws.append(HEADERS)
    counts = {"invalid": 0, "matching": 0}
    for n in range(rows):
        company = rng.random() < 0.2
        first, last = rng.choice(FIRST), rng.choice(LAST)
        city, postcode, country = rng.choice(CITIES)
        email = f"{first.lower()}.{last.lower()}.{n}@example.com".replace("ł", "l").replace("ś", "s")
        if existing_emails and rng.random() < 0.10:
            email = rng.choice(existing_emails)
            counts["matching"] += 1
        phone = _phone(rng)
        discount: object = rng.choice([0, 5, 10, "7,5"])
        if rng.random() < 0.05:
            counts["invalid"] += 1
            broken = rng.randrange(4)
            if broken == 0:
                phone = "06 12"
            elif broken == 1:
                email = "not-an-address@"
            elif broken == 2:
                country = "Atlantis"
            else:
                discount = 150
        ws.append(
            [
                "Entreprise" if company else "Particulier",
                "" if company else first,
                "" if company else last,
                f"{last} & Fils SARL" if company else "",
                phone,
                email,
                f"{rng.randint(1, 120)} rue de la République",
                postcode,
                city,
                country,
                "; ".join(rng.sample(TAGS, rng.randint(0, 2))),
                "Client fidèle\nrappeler en juin" if rng.random() < 0.1 else "",
                f"{rng.randint(10**13, 10**14 - 1)}" if company else "",
                "oui" if company and rng.random() < 0.3 else "non",
                discount,
            ]
        )
    workbook.save(path)
    return counts


def phase_openpyxl(path: str) -> dict:
    """openpyxl alone: read every value of the file in read-only mode."""
    import openpyxl

    cpu = time.process_time()
    started = time.perf_counter()
    workbook = openpyxl.load_workbook(path, read_only=True, data_only=True)
    ws = workbook.worksheets[0]
    ws.reset_dimensions()
    cells = sum(len(row) for row in ws.iter_rows(values_only=True))
    workbook.close()
    return {
        "seconds": round(time.perf_counter() - started, 2),
        "cpu_s": round(time.process_time() - cpu, 2),
        "cells": cells,
        "peak_mb": _peak_mb(),
    }


class _MemorySampler:
    """The peak of this process's resident memory plus its children's at the same moment (sampled every 20 ms):
    the dry run's reading child lives only during the dry run, so adding each one's own peak overstates it."""

    def __init__(self) -> None:
        import psutil

        self.process = psutil.Process()
        self.peak = 0
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._sample, daemon=True)

    def _sample(self) -> None:
        import psutil

        while not self.stop.wait(0.02):
            total = self.process.memory_info().rss
            for child in self.process.children(recursive=True):
                try:
                    total += child.memory_info().rss
                except psutil.Error:
                    continue
            self.peak = max(self.peak, total)

    def __enter__(self) -> _MemorySampler:
        self.thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self.stop.set()
        self.thread.join()


def phase_import(path: str, database_url: str, upload_dir: str) -> dict:
    """Upload checks, mapping, dry run and run, as the import page does them."""
    with _MemorySampler() as memory:
        result = _import(path, database_url, upload_dir)
    return {**result, "peak_together_mb": round(memory.peak / 2**20, 1)}


def _import(path: str, database_url: str, upload_dir: str) -> dict:
    os.environ["CRM_DATABASE_URL"] = database_url
    os.environ["CRM_UPLOAD_DIR"] = upload_dir
    from crm_app.db import get_engine, session_scope
    from crm_app.exchange import files
    from crm_app.exchange.imports import dry_run, lifecycle, mapping, running

    engine = get_engine(database_url)
    cpu = time.process_time()
    started = time.perf_counter()
    with open(path, "rb") as fh:
        stored = files.store_import_file(fh)
    with session_scope(engine) as s:
        job = mapping.create_import(s, stored=stored, file_name="clients.xlsx", actor_id=None, locale="fr")
        job = mapping.update_mapping(
            s, import_id=job.id, mapping=job.mapping, options={"on_match": "fill"}, actor_id=None
        )
    uploaded, cpu_uploaded = time.perf_counter(), time.process_time()
    dry = dry_run.dry_run(import_id=job.id, engine=engine)
    checked, cpu_checked = time.perf_counter(), time.process_time()
    with session_scope(engine) as s:
        lifecycle.start_import(s, import_id=job.id, actor_id=None, worker="bench")
    done = running.run_import(import_id=job.id, worker="bench", engine=engine)
    finished = time.perf_counter()
    return {
        "upload_s": round(uploaded - started, 2),
        "dry_run_s": round(checked - uploaded, 2),
        "run_s": round(finished - checked, 2),
        "end_to_end_s": round(finished - started, 2),
        "cpu_s": {
            "upload": round(cpu_uploaded - cpu, 2),
            "dry_run": round(cpu_checked - cpu_uploaded, 2),
            "run": round(time.process_time() - cpu_checked, 2),
            "total": round(time.process_time() - cpu, 2),
        },
        "rows_per_s_run": round(done.processed_rows / max(finished - checked, 1e-9)),
        "status": done.status,
        "created": done.created_count,
        "updated": done.updated_count,
        "skipped": done.skipped_count,
        "rejected": done.rejected_count,
        "dry_run": {k: getattr(dry, k) for k in ("create", "update", "unchanged", "skip", "reject")},
        "peak_mb": _peak_mb(),
        "child_processes": _children(),
    }


def phase_export(database_url: str, upload_dir: str, count: int) -> dict:
    """An export of ``count`` contacts (.xlsx), as the list's Export does it."""
    os.environ["CRM_DATABASE_URL"] = database_url
    os.environ["CRM_UPLOAD_DIR"] = upload_dir
    from sqlalchemy import select

    from crm_app.contacts.models import Contact
    from crm_app.db import get_engine, session_scope
    from crm_app.exchange import export

    engine = get_engine(database_url)
    with session_scope(engine) as s:
        ids = list(s.execute(select(Contact.id).order_by(Contact.id).limit(count)).scalars())
        scope = export.Scope(ids=tuple(ids))
        job = export.create_export(s, scope=scope, file_format="xlsx", actor_id=None)
    started = time.perf_counter()
    done = export.run_export(export_id=job.id, scope=scope, engine=engine, locale="fr")
    seconds = time.perf_counter() - started
    return {"seconds": round(seconds, 2), "rows": done.written_rows, "peak_mb": _peak_mb()}


def _child(*args: str) -> dict:
    out = subprocess.run(
        [sys.executable, "-m", "bench.xlsx", "--phase", *args], cwd=ROOT, capture_output=True, text=True, check=False
    )
    if out.returncode != 0:
        raise SystemExit(f"phase {args[0]} failed:\n{out.stderr[-4000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--existing", type=int, default=100_000)
    parser.add_argument("--export", type=int, default=100_000)
    parser.add_argument("--phase", nargs="+", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.phase:
        name, *rest = args.phase
        result = {"openpyxl": phase_openpyxl, "import": phase_import, "export": phase_export}[name](
            *[int(r) if r.isdigit() else r for r in rest]
        )
        print(json.dumps(result))
        return
    work = Path(tempfile.mkdtemp(prefix="crm-bench-xlsx-"))
    database_url = f"sqlite:///{work / 'bench.db'}"
    seed_command = [sys.executable, "-m", "bench.seed", "--contacts", str(args.existing), "--fresh"]
    seed = subprocess.run(
        [*seed_command, "--database-url", database_url],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    if seed.returncode != 0:
        raise SystemExit(f"seeding failed:\n{seed.stderr[-4000:]}")
    from sqlalchemy import create_engine, text

    engine = create_engine(database_url)
    with engine.connect() as conn:
        emails = [row[0] for row in conn.execute(text("SELECT address FROM email ORDER BY id LIMIT 50000"))]
    engine.dispose()
    path = work / "clients.xlsx"
    started = time.perf_counter()
    counts = write_workbook(path, args.rows, emails)
    written = time.perf_counter() - started
    reading = _child("openpyxl", str(path))
    importing = _child("import", str(path), database_url, str(work / "files"))
    reading_after = _child("openpyxl", str(path))
    exporting = _child("export", database_url, str(work / "files"), str(args.export))
    # openpyxl timed just before and just after the import: the mean is the yardstick (the speed of a shared
    # machine drifts by tens of percent from one minute to the next).
    baseline = (reading["seconds"] + reading_after["seconds"]) / 2
    ratio = importing["end_to_end_s"] / max(baseline, 1e-9)
    print(
        json.dumps(
            {
                "rows": args.rows,
                "existing_contacts": args.existing,
                "columns": len(HEADERS),
                "file_mb": round(path.stat().st_size / 1024 / 1024, 1),
                "file_written_s": round(written, 2),
                "invalid_rows_written": counts["invalid"],
                "matching_rows_written": counts["matching"],
                "openpyxl_read": reading,
                "openpyxl_read_after_import": reading_after,
                "openpyxl_mean_s": round(baseline, 2),
                "import": importing,
                "import_vs_openpyxl": round(ratio, 2),
                "export": exporting,
                "targets": {
                    "import_le_60s": importing["end_to_end_s"] <= 60,
                    "import_le_3x_openpyxl": ratio <= 3,
                    "export_le_20s": exporting["seconds"] <= 20,
                    "memory_le_500mb": max(importing["peak_together_mb"], exporting["peak_mb"]) <= 500,
                },
                "work_dir": str(work),
            },
            indent=2,
        )
    )


if __name__ == "__main__":
    main()
