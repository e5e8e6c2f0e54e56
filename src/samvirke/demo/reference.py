"""The public reference data the demo is built from: Danish and Norwegian administrative units.

The CSV files in `data/` are copies of the project's reference data; `data/README.md` names their
sources and licences. Codes stay strings, leading zeros included.
"""

from __future__ import annotations

import csv
import datetime
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

DATA_DIR = Path(__file__).resolve().parent / "data"

#: Region Østdanmark has no official code yet (dk-regions.csv leaves it empty).
PROVISIONAL_OST_CODE = "DK-OST-2027"
PROVISIONAL_OST_NOTE = (
    "Provisional code: no official region code was known when the demo data was made; "
    "replace it once Danmarks Statistik publishes one."
)
#: The Norwegian county and municipality structure in the files is valid from this day.
NO_STRUCTURE_FROM = datetime.date(2024, 1, 1)


@dataclass(frozen=True)
class RegionRow:
    """A Danish region or Norwegian county, valid for a period."""

    country: str
    code: str
    name: str
    valid_from: datetime.date
    valid_to: datetime.date | None
    note: str


@dataclass(frozen=True)
class MunicipalityRow:
    """A municipality and the region (DK) or county (NO) it belongs to."""

    country: str
    code: str
    name: str
    region_code: str
    population: int | None
    in_partnership: bool


def _read(filename: str) -> list[dict[str, str]]:
    with (DATA_DIR / filename).open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def _date(raw: str) -> datetime.date | None:
    return datetime.date.fromisoformat(raw) if raw else None


def dk_regions() -> list[RegionRow]:
    """The Danish regions, time-versioned; Region Østdanmark gets its provisional code."""
    regions: list[RegionRow] = []
    for row in _read("dk-regions.csv"):
        code, note = row["code"], row["note"]
        if not code:
            code = PROVISIONAL_OST_CODE
            note = f"{PROVISIONAL_OST_NOTE} From the reference data: {note}".strip()
        valid_from = _date(row["valid_from"])
        if valid_from is None:
            raise ValueError(f"dk-regions.csv: {row['name']} has no valid_from")
        regions.append(RegionRow("DK", code, row["name"], valid_from, _date(row["valid_to"]), note))
    return regions


def dk_municipalities() -> list[MunicipalityRow]:
    """The 98 Danish municipalities with their 2007-2026 region and approximate population."""
    return [
        MunicipalityRow(
            country="DK",
            code=row["code"],
            name=row["name"],
            region_code=row["region_code"],
            population=int(row["population_approx"]),
            in_partnership=row["partnership_2020_22"] == "true",
        )
        for row in _read("dk-municipalities.csv")
    ]


def no_counties() -> list[RegionRow]:
    """The 15 Norwegian counties valid from 2024-01-01; the official name goes in the note."""
    counties: list[RegionRow] = []
    for row in _read("no-counties.csv"):
        official = row["name_official"]
        note = f"Official name: {official}" if official != row["name"] else ""
        counties.append(RegionRow("NO", row["code"], row["name"], NO_STRUCTURE_FROM, None, note))
    return counties


def no_municipalities() -> list[MunicipalityRow]:
    """The 357 Norwegian municipalities; a name used twice gets its county, as SSB writes it."""
    rows = _read("no-municipalities.csv")
    used = Counter(row["name"] for row in rows)
    return [
        MunicipalityRow(
            country="NO",
            code=row["code"],
            name=row["name"] if used[row["name"]] == 1 else f"{row['name']} ({row['county_name']})",
            region_code=row["county_code"],
            population=None,
            in_partnership=False,
        )
        for row in rows
    ]
