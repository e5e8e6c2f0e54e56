"""`make perf`: measure Samvirke on a fresh demo installation behind a real gunicorn server.

    .venv/bin/python perf/run.py                       SQLite in a temporary directory
    .venv/bin/python perf/run.py --database postgres   a throwaway PostgreSQL cluster

Writes perf/results/latest.json and latest.md and prints the markdown. See perf/README.md.
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import load
import prepare
import results
import server
import traffic
from errors import HarnessError
from http_session import Session
from prepare import Login, say

#: Set in the environment of the run re-executed under scripts/with-postgres.sh.
INSIDE_POSTGRES = "SAMVIRKE_PERF_INSIDE_POSTGRES"
COORDINATOR, COORDINATOR_ORGANISATION = "koord.101", "101"
FRAMEWORK = "samvirke-baseline"
NETWORKS = ("kl-kommuner", "no-kommuner")
PAGE_SIZE_PARAMETERS = ("page_size", "limit")
#: Issue 5: an assessment page renders in at most this many queries, whatever its size.
MAX_ASSESSMENT_QUERIES = 15
#: Issue 6: the benchmark pages by URL name, with a label, and their viewers as (user,
#: network): all viewers of one entry must give the same query count (other networks, larger
#: releases, more years); those marked True are timed over HTTP as well. The demo's
#: municipalities have an open 2027 assessment, whose live own scores the page adds (a few
#: queries more, the same for all of them); the national organisation has none. The national
#: viewers exist unless --no-national.
BENCHMARK_PAGES: tuple[tuple[str, str, tuple[tuple[str, str | None, bool], ...]], ...] = (
    (
        "benchmarking:benchmark",
        "with an open assessment",
        (
            (COORDINATOR, None, True),
            ("koord.0301", None, False),
            ("koord.751", None, False),
        ),
    ),
    (
        "benchmarking:benchmark",
        "without an open assessment",
        (("koord.nat-0500", None, True),),
    ),
    (
        "benchmarking:network_benchmark",
        "",
        (
            ("netkoord.kl-kommuner", "kl-kommuner", True),
            ("netkoord.no-kommuner", "no-kommuner", False),
            ("netkoord.perf-national", "perf-national", True),
        ),
    ),
)


@dataclass
class Page:
    """A page to time over HTTP and to count the queries of in-process."""

    what: str
    label: str
    path: str
    username: str | None
    headers: dict[str, str] = field(default_factory=dict)
    queries: int | None = None


def _arguments(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description="Measure Samvirke behind gunicorn.")
    parser.add_argument("--database", choices=("sqlite", "postgres"), default="sqlite")
    parser.add_argument(
        "--requests",
        type=_bounded(2, 1000),
        default=traffic.REQUESTS,
        help=f"timed requests per page (default {traffic.REQUESTS})",
    )
    parser.add_argument(
        "--logins",
        type=_bounded(2, 500),
        default=traffic.LOGINS,
        help=f"logins for the throughput figure (default {traffic.LOGINS})",
    )
    parser.add_argument(
        "--no-history",
        action="store_true",
        help="seed the demo without its five years of baseline history (quicker, smaller tables)",
    )
    parser.add_argument(
        "--load-seconds",
        type=_bounded(10, 3600),
        default=load.LOAD_SECONDS,
        help=f"seconds of autosaving after the last login (default {load.LOAD_SECONDS})",
    )
    parser.add_argument(
        "--think",
        type=_think,
        default=load.THINK,
        metavar="MIN-MAX",
        help=f"seconds a respondent thinks between two requests (default {load.THINK})",
    )
    parser.add_argument(
        "--national-orgs",
        type=_bounded(10, 5000),
        default=1000,
        help="organisations of the national-scale figures (default 1000)",
    )
    parser.add_argument(
        "--national-years",
        type=_bounded(1, 5),
        default=5,
        help="yearly campaigns of the national-scale figures (default 5)",
    )
    parser.add_argument(
        "--no-national",
        action="store_true",
        help="skip the national-scale figures (scoring, GROUP BY, one release)",
    )
    parser.add_argument(
        "--benchmarks-only",
        action="store_true",
        help="measure only the national scale and the benchmark pages (a quick check)",
    )
    parser.add_argument(
        "--load-users",
        type=_bounded(2, load.USERS),
        default=load.USERS,
        help=f"simulated respondents in the deadline-day test (default {load.USERS})",
    )
    return parser.parse_args(argv)


def _bounded(low: int, high: int) -> Callable[[str], int]:
    """An argparse type: a whole number from low to high."""

    def parse(raw: str) -> int:
        value = int(raw)
        if not low <= value <= high:
            raise argparse.ArgumentTypeError(f"must be between {low} and {high}")
        return value

    return parse


def _think(raw: str) -> str:
    """An argparse type: "MIN-MAX" seconds, 0 <= MIN <= MAX <= 600."""
    low, _, high = raw.partition("-")
    try:
        low_s, high_s = float(low), float(high or low)
    except ValueError:
        raise argparse.ArgumentTypeError("write MIN-MAX in seconds, for example 5-15") from None
    if not 0 <= low_s <= high_s <= 600:
        raise argparse.ArgumentTypeError("must be 0 <= MIN <= MAX <= 600")
    return f"{low_s:g}-{high_s:g}"


def _reexec_under_postgres(argv: list[str]) -> None:
    """Replace this process by scripts/with-postgres.sh running this same command."""
    script = prepare.PROJECT / "scripts" / "with-postgres.sh"
    os.environ[INSIDE_POSTGRES] = "1"
    sys.stdout.flush()
    os.execv(script, [str(script), sys.executable, str(Path(__file__).resolve()), *argv])


def _stop_on_sigterm() -> None:
    """A TERM unwinds like Ctrl-C, so the server is stopped and the temporary files removed."""
    signal.signal(signal.SIGTERM, lambda _signum, _frame: sys.exit(143))


def _basic_pages() -> list[Page]:
    """Home and org units as København's coordinator; each network as its coordinator."""
    from query_counts import network_id
    from samvirke.tenancy.models import Network

    pages = [
        Page(f"GET / (home), {COORDINATOR}", "home", "/", COORDINATOR),
        Page(f"GET /units/ (org units), {COORDINATOR}", "units", "/units/", COORDINATOR),
    ]
    for code in NETWORKS:
        members = Network.objects.get(code=code).members_on().count()
        pages.append(
            Page(
                f"GET /networks/{{id}}/ {code} ({members} members), netkoord.{code}",
                f"network {code}",
                f"/networks/{network_id(code)}/",
                f"netkoord.{code}",
            )
        )
    return pages


def _framework_pages(notes: list[str]) -> tuple[list[Page], dict[str, Any] | None]:
    """The framework tree page and nodes API, where they exist yet; and the page-size check."""
    from query_counts import answers_ok, client_for, count_queries, latest_version

    version = latest_version(FRAMEWORK)
    if version is None:
        notes.append(f"Framework pages skipped: {FRAMEWORK} is not loaded.")
        return [], None
    if not answers_ok(client_for(COORDINATOR), "/frameworks/"):
        notes.append("Framework pages skipped: /frameworks/ does not answer 200 yet.")
        return [], None
    tree = f"/frameworks/{FRAMEWORK}/{version}/"
    pages = [Page(f"GET {tree} (framework tree)", "framework tree", tree, COORDINATOR)]
    bearer = {
        "Authorization": f"Bearer {prepare.create_token(COORDINATOR, COORDINATOR_ORGANISATION)}"
    }
    api = _nodes_api(version, bearer)
    if api is None:
        notes.append("Framework nodes API skipped: it does not answer 200 with pages of 10 yet.")
        return pages, None
    pages.append(Page(f"GET {api}100 (API)", "nodes API", f"{api}100", None, bearer))
    sizes = {size: count_queries(client_for(None), f"{api}{size}", bearer) for size in (10, 100)}
    equal = sizes[10] == sizes[100]
    name = api.rsplit("&", 1)[1]
    notes.append(
        f"Nodes API queries: {name}10: {sizes[10]}, {name}100: {sizes[100]} "
        f"({'equal' if equal else 'NOT EQUAL: queries grow with the page size'})."
    )
    return pages, {"page_size_10": sizes[10], "page_size_100": sizes[100], "equal": equal}


def _nodes_api(version: str, bearer: dict[str, str]) -> str | None:
    """The nodes API path up to the page size, with the parameter name it honours.

    The brief names the parameter `page_size`; django-ninja's usual name is `limit`. A page of
    10 must hold 10 nodes, so a parameter that is ignored is not taken for one that works.
    """
    from query_counts import client_for, json_items

    base = f"/api/v1/frameworks/{FRAMEWORK}/versions/{version}/nodes?format=flat&"
    for name in PAGE_SIZE_PARAMETERS:
        if json_items(client_for(None), f"{base}{name}=10", bearer) == 10:
            return f"{base}{name}="
    return None


def _assessment_pages(sizes: list[Any], notes: list[str]) -> tuple[list[Page], dict[str, Any]]:
    """The assessment and area pages at 300 questions (timed); query counts at 30 and 300.

    A page over MAX_ASSESSMENT_QUERIES queries has its SQL kept in the results.
    """
    from query_counts import client_for, page_queries

    client = client_for(COORDINATOR)
    counts: dict[str, Any] = {"limit": MAX_ASSESSMENT_QUERIES, "pages": [], "over_limit": {}}
    for size in sizes:
        for kind, path, extra in (
            ("assessment", size.assessment_path, f"{size.questions} questions"),
            ("area", size.area_path, f"{size.area_questions} of {size.questions} questions"),
        ):
            sql = page_queries(client, path)
            counts["pages"].append(
                {"page": kind, "questions": size.questions, "path": path, "queries": len(sql)}
            )
            if len(sql) > MAX_ASSESSMENT_QUERIES:
                counts["over_limit"][f"{kind} {extra}"] = sql
    by = {(p["page"], p["questions"]): p["queries"] for p in counts["pages"]}
    small, large = sizes[0].questions, sizes[-1].questions
    for kind in ("assessment", "area"):
        constant = by[(kind, small)] == by[(kind, large)]
        worst = max(by[(kind, small)], by[(kind, large)])
        verdict = "constant" if constant else "NOT CONSTANT: queries grow with the questions"
        limit = "within" if worst <= MAX_ASSESSMENT_QUERIES else "OVER"
        notes.append(
            f"{kind.capitalize()} page queries at {small} questions: {by[(kind, small)]}, at "
            f"{large}: {by[(kind, large)]} ({verdict}; {limit} the limit of "
            f"{MAX_ASSESSMENT_QUERIES})."
        )
        counts[f"{kind}_constant"] = constant
    for name, sql in counts["over_limit"].items():
        notes.append(f"The {name} page makes {len(sql)} queries; its SQL is in latest.json.")
    largest = sizes[-1]
    pages = [
        Page(
            f"GET assessment_detail ({largest.questions} questions, {largest.answers} answers), "
            f"{COORDINATOR}",
            "assessment page",
            largest.assessment_path,
            COORDINATOR,
        ),
        Page(
            f"GET area_detail ({largest.area_questions} questions), {COORDINATOR}",
            "area page",
            largest.area_path,
            COORDINATOR,
        ),
    ]
    return pages, counts


def _benchmark_pages(notes: list[str]) -> tuple[list[Page], dict[str, Any]]:
    """The benchmark pages by URL name, where they exist: their queries counted for every viewer
    of BENCHMARK_PAGES, which must give the same count (issue 6: a constant number of queries),
    and the marked viewers' pages timed."""
    from django.urls import NoReverseMatch, reverse

    from query_counts import QueryCountError, client_for, count_queries, network_id
    from samvirke.accounts.models import User
    from samvirke.tenancy.models import Network

    pages: list[Page] = []
    found: dict[str, Any] = {}
    for name, label, viewers in BENCHMARK_PAGES:
        title = f"{name} ({label})" if label else name
        counts: dict[str, int | str] = {}
        for username, network, timed in viewers:
            if not User.objects.filter(username=username).exists() or (
                network and not Network.objects.filter(code=network).exists()
            ):
                continue  # e.g. the national network with --no-national
            try:
                kwargs = {"network_id": network_id(network)} if network else {}
                path = reverse(name, kwargs=kwargs)
            except NoReverseMatch:
                counts = {}
                break
            try:
                counts[username] = count_queries(client_for(username), path)
            except QueryCountError as error:
                counts[username] = str(error)
                continue
            if timed:
                pages.append(Page(f"GET {name} ({path}), {username}", name, path, username))
        if not counts:
            notes.append(f"Benchmark page {title}: not present.")
            found[title] = "not present"
            continue
        numbers = {u: c for u, c in counts.items() if isinstance(c, int)}
        constant = len(set(numbers.values())) == 1 and len(numbers) == len(counts)
        listed = ", ".join(f"{u}: {c}" for u, c in counts.items())
        verdict = "constant" if constant else "NOT CONSTANT or not answering"
        notes.append(f"Benchmark page {title} queries: {listed} ({verdict}).")
        found[title] = {"queries": counts, "constant": constant}
    return pages, found


def _count_queries(pages: list[Page]) -> None:
    from query_counts import client_for, count_queries

    say("Counting SQL queries per page (in-process, Django test client, same database)")
    for page in pages:
        page.queries = count_queries(client_for(page.username), page.path, page.headers or None)
        print(f"    {page.queries:>4} queries  {page.path}", flush=True)


def _time_pages(
    port: int, pages: list[Page], passwords: dict[str, str], requests: int
) -> list[dict[str, Any]]:
    """Log each user in once through the form, then time every page in that user's session."""
    sessions: dict[str | None, Session] = {None: Session(server.HOST, port)}
    for username in sorted({p.username for p in pages if p.username}):
        sessions[username] = Session(server.HOST, port)
        sessions[username].login(username, passwords[username])
    rows = []
    for page in pages:
        session = sessions[page.username]
        latency = traffic.page_latency(
            session, page.path, page.label, page.headers or None, requests
        )
        row = {"what": page.what, "path": page.path, "user": page.username, **latency}
        rows.append({**row, "queries": page.queries})
    return rows


def _respondents(logins: list[Login], count: int) -> list[traffic.Credentials]:
    """Distinct respondents from the manifest: one login each, so no account is hit twice."""
    people = sorted({(x.username, x.password) for x in logins if x.role == "respondent"})
    return [traffic.Credentials(u, p) for u, p in people[:count]]


def _measure_server(
    pages: list[Page], logins: list[Login], args: argparse.Namespace
) -> tuple[list[dict[str, Any]], traffic.LoginThroughput]:
    """Start gunicorn, time the pages and the logins, stop it."""
    from query_counts import clear_cache

    passwords = {x.username: x.password for x in logins}
    say(f"Starting gunicorn ({server.WORKERS} workers) on {server.HOST}")
    with tempfile.TemporaryDirectory(prefix="samvirke-perf-gunicorn-") as logdir:
        log = Path(logdir) / "gunicorn.log"
        with server.running_server(prepare.GUNICORN, dict(os.environ), log) as port:
            say(f"gunicorn answers on port {port}: {args.requests} timed requests a page")
            rows = _time_pages(port, pages, passwords, args.requests)
            people = _respondents(logins, args.logins)
            throughput = traffic.login_throughput(
                server.HOST, port, people, clear_cache, args.logins
            )
    return rows, throughput


def _measure_load(workdir: Path, respondents: Path, args: argparse.Namespace) -> load.LoadResult:
    """A gunicorn of its own for deadline day, then locust, then the check of every save.

    Every login comes from 127.0.0.1, so this server allows as many logins a minute from one
    address as there are respondents (SAMVIRKE_LOGIN_RATE); the other settings are the same.
    """
    from django.db import connections

    env = {**os.environ, "SAMVIRKE_LOGIN_RATE": f"{max(args.load_users * 2, 30)}/m/ip"}
    say(f"Starting gunicorn ({server.WORKERS} workers) for the deadline-day test")
    log = workdir / "gunicorn-load.log"
    with server.running_server(prepare.GUNICORN, env, log) as port:
        result = load.run_locust(
            port, env, workdir, respondents, args.load_users, args.load_seconds, args.think
        )
    connections.close_all()
    load.verify_acks(result, workdir / "acks.jsonl")
    return result


def _measure(
    logins: list[Login], notes: list[str], args: argparse.Namespace, extra: dict[str, Any]
) -> dict[str, Any]:
    from django.db import connections

    benchmark_pages, benchmark_queries = _benchmark_pages(notes)
    if args.benchmarks_only:
        return _measure_benchmarks_only(benchmark_pages, benchmark_queries, logins, args)
    pages = _basic_pages()
    framework_pages, page_size_check = _framework_pages(notes)
    pages += framework_pages
    assessment_pages, assessment_queries = _assessment_pages(extra["sizes"], notes)
    pages += assessment_pages + benchmark_pages
    _count_queries(pages)
    connections.close_all()
    rows, throughput = _measure_server(pages, logins, args)
    connections.close_all()
    deadline = _measure_load(extra["workdir"], extra["respondents"], args)
    what = f"login (GET form + POST), {throughput.threads} threads"
    rows.append(
        {
            "what": what,
            "path": "/accounts/login/",
            "user": "respondents",
            **throughput.latency,
            "queries": None,
        }
    )
    notes.insert(
        0,
        f"Login throughput: {throughput.per_second} logins/s ({throughput.logins} logins by "
        f"distinct respondents, {throughput.threads} threads, {throughput.seconds} s).",
    )
    notes.append(
        f"allauth allows 30 logins a minute from one address: its counters were cleared "
        f"between batches of {traffic.LOGIN_BATCH} logins (not timed)."
    )
    return {
        "rows": rows,
        "login": asdict(throughput),
        "nodes_api_page_size": page_size_check,
        "assessment_queries": assessment_queries,
        "benchmark_queries": benchmark_queries,
        "deadline_day": {**asdict(deadline), "verdict": _deadline_verdict(deadline)},
    }


def _measure_benchmarks_only(
    pages: list[Page], queries: dict[str, Any], logins: list[Login], args: argparse.Namespace
) -> dict[str, Any]:
    """--benchmarks-only: time the benchmark pages behind gunicorn, nothing else."""
    from django.db import connections

    _count_queries(pages)
    connections.close_all()
    passwords = {x.username: x.password for x in logins}
    rows: list[dict[str, Any]] = []
    if pages:
        with tempfile.TemporaryDirectory(prefix="samvirke-perf-gunicorn-") as logdir:
            log = Path(logdir) / "gunicorn.log"
            with server.running_server(prepare.GUNICORN, dict(os.environ), log) as port:
                say(f"gunicorn answers on port {port}: {args.requests} timed requests a page")
                rows = _time_pages(port, pages, passwords, args.requests)
    connections.close_all()
    return {"rows": rows, "benchmark_queries": queries}


def _deadline_verdict(result: load.LoadResult) -> str:
    """The deadline-day figure in one sentence."""
    save = result.save
    if save is None or "p95_ms" not in save:
        return "no autosave was measured"
    return (
        f"{save['requests']} autosaves by {result.users} respondents in {result.load_seconds} s "
        f"({save['per_second']}/s): p95 {save['p95_ms']} ms, {result.errors} errors; "
        f"{result.acknowledged} acknowledged saves of {result.answers} answers checked, "
        f"{len(result.missing)} missing"
    )


def run(args: argparse.Namespace) -> dict[str, Any]:
    """Prepare a fresh installation, measure it, return the results."""
    load_at_start = os.getloadavg()[0]
    database_url = os.environ["DATABASE_URL"] if args.database == "postgres" else None
    with tempfile.TemporaryDirectory(prefix="samvirke-perf-") as workdir:
        os.environ.update(prepare.perf_environment(Path(workdir), database_url))
        prepare.prepare_database()
        import django

        django.setup()
        # Before the demo: its baseline history needs the frameworks, and the load is timed
        # into a database without them.
        frameworks = prepare.load_frameworks()
        logins = prepare.seed_demo(Path(workdir), history=not args.no_history)
        import synthetic

        notes = [frameworks.note]
        extra: dict[str, Any] = {"workdir": Path(workdir)}
        opening = None
        if not args.benchmarks_only:
            extra["sizes"] = synthetic.assessment_pages()
            extra["respondents"] = Path(workdir) / "respondents.json"
            synthetic.load_respondents(logins, extra["respondents"])
            opening = synthetic.campaign_for_many()
            notes.append(opening.note)
        national_figures = None
        if not args.no_national:
            import national

            national_figures = national.as_dict(
                national.measure(args.national_orgs, args.national_years)
            )
            logins = [*logins, *national.logins()]
        reports_figures = None
        if not args.no_history:  # the reports need the demo's published releases
            import reports

            reports_figures = reports.measure()
            notes.extend(reports_figures["notes"])
        measured = _measure(logins, notes, args, extra)
        machine = results.machine_info(server.WORKERS, load_at_start)
    if load_at_start > (os.cpu_count() or 1) / 2:
        notes.append(
            f"The machine was busy before the run began (load {load_at_start:.1f} on "
            f"{os.cpu_count()} cores): the latencies are pessimistic."
        )
    return {
        "machine": machine,
        **measured,
        "frameworks_load": asdict(frameworks),
        "campaign_open_1000": asdict(opening) if opening is not None else None,
        "national": national_figures,
        "reports": reports_figures,
        "notes": notes,
    }


def main(argv: list[str] | None = None) -> int:
    """Run the harness; 0 when every figure was measured."""
    argv = sys.argv[1:] if argv is None else argv
    args = _arguments(argv)
    if args.database == "postgres" and os.environ.get(INSIDE_POSTGRES) != "1":
        _reexec_under_postgres(argv)
    _stop_on_sigterm()
    started = time.perf_counter()
    try:
        figures = run(args)
    except HarnessError as error:
        print(f"ERROR: {error}", file=sys.stderr)
        return 1
    page = results.write(figures)
    print("\n" + page, flush=True)
    say(
        f"Wrote perf/results/latest.md and latest.json; the run took "
        f"{time.perf_counter() - started:.0f} s"
    )
    return 1 if figures["frameworks_load"]["failed"] else 0


if __name__ == "__main__":
    sys.exit(main())
