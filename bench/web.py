"""The web app under load: every page and API route of the demo at 1, 8 and 32 concurrent clients,
on loopback against the real server (`interdict serve`, its own process). Prints per step the
requests, p50 and p95 latency, server errors (5xx), timeouts and the server's memory; then its
memory after the load ends. Targets: no 5xx and no timeout at 32; p95 < 500 ms at 8; memory back
within 20 % of where it started.

    .venv/bin/python bench/web.py --home interdict-data [--seconds 20] [--steps 1,8,32] [--users jcg.watch,...]

`--home`: an existing demo workspace (`interdict demo --no-serve`); without it one is built in a
temporary folder first (about a minute). `--database-url postgresql+psycopg://...`: the workspace's
database is PostgreSQL (built there too when `--home` is not given).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

PAGES = ["/", "/risk", "/events", "/vessels", "/map", "/monitoring", "/resolve", "/watchlist", "/reports",
         "/search?q=daesung", "/screen?q=office+39", "/entities/case-pong-su", "/claims", "/vessels/351118000",
         "/monitoring/countries/AUS", "/account/password", "/reports/render?kind=country&country=AUS&format=html",
         "/reports/render?kind=dprk-brief&format=pdf", "/reports/render?kind=dprk-brief&format=pdf&audience=public",
         "/vessels?sort=name&offset=200", "/vessels.csv", "/search.csv?q=kim", "/risk.csv", "/watchlist.csv?sort=screened&dir=desc",
         "/events?sort=type&dir=desc", "/monitoring?group=opioids&year=2015", "/claims.csv?q=heroin",
         "/resolve?sort=record&offset=100", "/resolve.csv", "/judgements", "/judgements.csv"]
API = ["/api/risk", "/api/map/data", "/api/vessels", "/api/events", "/api/search?q=office", "/api/overview",
       "/api/ais/stats", "/api/watchlist", "/api/resolve/candidates", "/api/seizures", "/api/graph/neighbours/case-pong-su",
       "/api/vessels/351118000/track", "/api/map/land.geojson", "/api/me", "/api/vessels/351118000", "/api/entities/case-pong-su",
       "/api/entities/case-pong-su/merged", "/api/claims", "/api/screen?q=office+39", "/api/graph/path?from=case-pong-su&to=office+39",
       "/api/indicators/AUS", "/api/estimates", "/api/estimates/dprk-revenue-usfk", "/api/resolve/judgements",
       "/api/reports/region?region=east-asia-oceania&format=html", "/api/export.ftm.jsonl"]
ROUTES = PAGES + API
# the demo's users, of five agencies: clients take them in turn, so several audiences are served at once
USERS = ("jcg.watch", "afp.analyst", "kcg.analyst", "uscg.watch", "incb.monitor", "incb.admin")
PASSWORD = "interdict-demo"


def rss_mb(pid: int) -> float:
    with open(f"/proc/{pid}/status") as handle:
        return next(int(line.split()[1]) for line in handle if line.startswith("VmRSS")) / 1024


async def login(client: httpx.AsyncClient, user: str) -> None:
    page = await client.get("/login")
    token = re.search(r'name="csrf" value="([^"]+)"', page.text)
    assert token, "no csrf field on /login"
    response = await client.post("/login", data={"username": user, "password": PASSWORD, "next": "/", "csrf": token.group(1)})
    assert response.status_code in (200, 303), response.text[:200]


async def worker(base: str, stop_at: float, offset: int, user: str, results: list[tuple[str, float, int]]) -> None:
    async with httpx.AsyncClient(base_url=base, timeout=30.0, follow_redirects=True) as client:
        try:
            await login(client, user)
        except httpx.HTTPError:
            results.append(("/login", 30.0, -1))
            return
        k = offset
        while time.monotonic() < stop_at:
            route = ROUTES[k % len(ROUTES)]
            k += 1
            start = time.perf_counter()
            try:
                response = await client.get(route)
                status = response.status_code
            except httpx.TimeoutException:
                status = -1
            except httpx.HTTPError:
                status = -2
            results.append((route, time.perf_counter() - start, status))


async def warm_up(base: str, users: tuple[str, ...]) -> dict[str, set[int]]:
    """Every route once per user; returns the routes that answered other than 200, by status
    (a 404 for what a user may not see is an answer, not a failure)."""
    refused: dict[str, set[int]] = {}
    for user in users:
        async with httpx.AsyncClient(base_url=base, timeout=120.0, follow_redirects=True) as client:
            await login(client, user)
            for route in ROUTES:
                status = (await client.get(route)).status_code
                if status != 200:
                    refused.setdefault(route, set()).add(status)
    return refused


async def step(base: str, clients: int, seconds: float, users: tuple[str, ...]) -> list[tuple[str, float, int]]:
    results: list[tuple[str, float, int]] = []
    stop_at = time.monotonic() + seconds
    await asyncio.gather(*(worker(base, stop_at, k * 3, users[k % len(users)], results) for k in range(clients)))
    return results


def print_per_route(results: list[tuple[str, float, int]]) -> None:
    """p50 and p95 of each route in a step, the slowest first; over 500 ms at p95 marked."""
    by_route: dict[str, list[float]] = {}
    for route, t, status in results:
        if status > 0:
            by_route.setdefault(route, []).append(t * 1000)
    rows = []
    for route, times in by_route.items():
        times.sort()
        rows.append((times[int(0.95 * (len(times) - 1))], statistics.median(times), len(times), route))
    for p95, p50, n, route in sorted(rows, reverse=True):
        print(f"    {route:<62} n {n:>4}  p50 {p50:>6.0f} ms  p95 {p95:>6.0f} ms{'  > 500' if p95 >= 500 else ''}")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--home", type=Path)
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--steps", default="1,8,32")
    parser.add_argument("--users", default=",".join(USERS), help="demo users the clients take in turn")
    parser.add_argument("--per-route", default="8", help="steps (client counts) to print p50/p95 of every route for")
    parser.add_argument("--database-url", help="the workspace's database (default: its embedded SQLite)")
    args = parser.parse_args()
    binary = str(Path(sys.executable).parent / "interdict")
    with tempfile.TemporaryDirectory() as tmp:
        home = args.home or Path(tmp) / "demo"
        env = {k: v for k, v in os.environ.items() if k != "INTERDICT_DATABASE_URL"} | {"INTERDICT_HOME": str(home)}
        if args.database_url:
            env["INTERDICT_DATABASE_URL"] = args.database_url
        if args.home is None:
            print("building the demo workspace...", flush=True)
            subprocess.run([binary, "demo", "--no-serve", "--json"], env=env, check=True, capture_output=True)
        port = free_port()
        server = subprocess.Popen([binary, "serve", "--port", str(port)], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        base = f"http://127.0.0.1:{port}"
        try:
            deadline = time.monotonic() + 60
            while True:
                try:
                    httpx.get(f"{base}/api/health", timeout=2)
                    break
                except httpx.HTTPError:
                    assert server.poll() is None and time.monotonic() < deadline, "the server did not start"
                    time.sleep(0.2)
            users = tuple(args.users.split(","))
            refused = asyncio.run(warm_up(base, users))  # every route once, so no step pays for a first build
            start_mb = rss_mb(server.pid)
            print(f"server {base}, {len(ROUTES)} routes ({len(PAGES)} pages, {len(API)} API), {len(users)} users in turn, "
                  f"RSS after warm-up {start_mb:.0f} MB")
            if refused:
                print("answered other than 200 in the warm-up (for some users): "
                      + ", ".join(f"{route} {sorted(codes)}" for route, codes in refused.items()))
            for clients in (int(c) for c in args.steps.split(",")):
                results = asyncio.run(step(base, clients, args.seconds, users))
                times = sorted(t for _, t, s in results if s > 0)
                errors = sum(1 for _, _, s in results if s >= 500)
                timeouts = sum(1 for _, _, s in results if s == -1)
                failed = sum(1 for _, _, s in results if s == -2)
                p50 = statistics.median(times) * 1000 if times else float("nan")
                p95 = times[int(0.95 * (len(times) - 1))] * 1000 if times else float("nan")
                slowest: dict[str, float] = {}
                for route, t, _status in results:
                    slowest[route] = max(slowest.get(route, 0.0), t)
                worst = sorted(slowest.items(), key=lambda kv: -kv[1])[:3]
                print(f"{clients:>3} clients: {len(results):,} requests ({len(results) / args.seconds:.1f}/s), p50 {p50:.0f} ms, "
                      f"p95 {p95:.0f} ms, 5xx {errors}, timeouts {timeouts}, other failures {failed}, server RSS {rss_mb(server.pid):.0f} MB; "
                      "slowest: " + ", ".join(f"{r} {t * 1000:.0f} ms" for r, t in worst), flush=True)
                if str(clients) in args.per_route.split(","):
                    print_per_route(results)
            time.sleep(5)
            end_mb = rss_mb(server.pid)
            print(f"RSS 5 s after the load: {end_mb:.0f} MB ({(end_mb - start_mb) / start_mb:+.0%} of the start; target within 20 %)")
        finally:
            server.terminate()
            try:
                server.wait(timeout=30)
            except subprocess.TimeoutExpired:
                server.kill()


if __name__ == "__main__":
    main()
