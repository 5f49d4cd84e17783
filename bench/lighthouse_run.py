"""Glue for bench/lighthouse: sign in, run Lighthouse (npm) on signed-in pages, report.

Called by ``bench/lighthouse`` once the demo data and the server are up; run that
script, not this file. It measures: it exits 0 when targets are missed (printing
"TARGET MISSED" lines) and non-zero only when the measurement itself went wrong
(server down, sign-in refused, Lighthouse failed, page redirected to /login).

Environment (set by bench/lighthouse):
  TC_BENCH_BASE      http://127.0.0.1:PORT
  TC_BENCH_LOGINS    "email password" lines for the demo accounts we sign in as
  TC_BENCH_SERVER_PID  the server's pid, to notice it dying while we poll
  TC_BENCH_OUT       where the Lighthouse reports go (bench/results)
  CHROME_PATH        Chromium binary for Lighthouse
"""

from __future__ import annotations

import argparse
import gzip
import html.parser
import http.cookiejar
import json
import os
import re
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

HERE = Path(__file__).resolve().parent

CHROME_FLAGS = ("--headless=new --no-sandbox --disable-gpu --disable-dev-shm-usage "
                "--disable-background-networking --disable-component-update --disable-sync "
                "--no-first-run --disable-quic")
CATEGORIES = ("performance", "accessibility", "best-practices")
TARGETS = {"performance": 95, "accessibility": 100, "best-practices": 100}
BUDGET_GZIP = 60 * 1024  # JS + CSS shipped to the phone, gzipped
GZIP_LEVEL = 6  # what `gzip` and most servers' gzip use by default
HEAD_EMAIL = "head@demo.school"
PAGES = (  # (label, email, path, text that shows it is that signed-in page)
    ("staff home", "teacher@demo.school", "/", "Hello,"),
    ("head dashboard", HEAD_EMAIL, "/", "Dashboard"),
)
METRICS = {"first-contentful-paint": "FCP", "largest-contentful-paint": "LCP",
           "total-blocking-time": "TBT", "cumulative-layout-shift": "CLS", "speed-index": "SI"}


class BenchError(Exception):
    """The measurement could not be made (not: a target was missed)."""


def main(argv: list[str]) -> int:
    args = parse_args(argv)
    base = os.environ["TC_BENCH_BASE"].rstrip("/")
    logins = dict(line.split(" ", 1) for line in os.environ["TC_BENCH_LOGINS"].splitlines()
                  if line.strip())
    out = Path(os.environ.get("TC_BENCH_OUT", HERE / "results"))
    out.mkdir(parents=True, exist_ok=True)
    user_agent = lighthouse_mobile_user_agent()

    t0 = time.monotonic()
    wait_for_server(base, int(os.environ.get("TC_BENCH_SERVER_PID", "0")))
    print(f"server answered in {time.monotonic() - t0:.1f} s at {base}; Lighthouse "
          f"{lighthouse_version()}, {os.environ.get('CHROME_PATH', 'chromium')}", flush=True)

    # The headteacher first: their first device is trusted at once, and they approve
    # anyone else's new device.
    head = Browser(base, user_agent, HEAD_EMAIL)
    if head.sign_in(logins[HEAD_EMAIL]) == "/device/waiting":
        raise BenchError("the headteacher's first device was not trusted at once, so nobody "
                         "can approve the teacher's: has the demo or R13 changed?")
    browsers = {HEAD_EMAIL: head}
    for _, email, _, _ in PAGES:
        if email not in browsers:
            browsers[email] = Browser(base, user_agent, email)
            if browsers[email].sign_in(logins[email]) == "/device/waiting":
                approve_device(head, browsers[email])

    rows, missed, assets = [], [], {}
    for label, email, path, marker in PAGES:
        html_text = signed_in_page(browsers[email], path, marker)
        cookies = browsers[email].cookies()
        slug = label.replace(" ", "-")
        runs = []
        for n in range(args.runs):
            t = time.monotonic()
            name = f"lighthouse-{slug}" + (f"-{n + 1}" if args.runs > 1 else "")
            lhr = run_lighthouse_retrying(base + path, cookies, out / name, user_agent)
            runs.append((time.monotonic() - t, lhr, name))
            final = urllib.parse.urlsplit(lhr.get("finalDisplayedUrl") or lhr.get("finalUrl", ""))
            if final.path != path:
                raise BenchError(f"{label}: Lighthouse ended on {final.path!r}, not {path!r} "
                                 "(the session cookies were not accepted?)")
            print(f"  {label} run {n + 1}/{args.runs}: {runs[-1][0]:.1f} s", flush=True)
        # Report the run with the median performance score.
        runs.sort(key=lambda r: score(r[1], "performance") or 0)
        took, lhr, name = runs[len(runs) // 2]
        perf_all = [score(r[1], "performance") for r in runs]
        if args.runs > 1:
            print(f"  {label}: median run is {name}", flush=True)
        rows.append((label, {c: score(lhr, c) for c in CATEGORIES}, took, lhr, perf_all))
        for url in page_assets(base, html_text):
            assets.setdefault(url, set()).add(label)
        for url in lighthouse_assets(lhr, base):
            assets.setdefault(url, set()).add(label)

    print()
    print(f"{'page':<16} performance accessibility best-practices {'run':>6}")
    for label, scores, took, _, perf_all in rows:
        cells = " ".join(f"{fmt(scores[c]):>{len(h)}}" for c, h in zip(
            CATEGORIES, ("performance", "accessibility", "best-practices"), strict=True))
        print(f"{label:<16} {cells} {took:5.1f}s"
              + (f"  (performance of each run: {sorted(perf_all)}, median shown)"
                 if len(perf_all) > 1 else ""))
        for c in CATEGORIES:
            if scores[c] is None or scores[c] < TARGETS[c]:
                missed.append(f"TARGET MISSED: {label}: {c} {fmt(scores[c])} < {TARGETS[c]}")

    for label, scores, _, lhr, _ in rows:
        print(f"\n{label}: " + ", ".join(
            f"{short} {lhr['audits'][m].get('displayValue', '?')}"
            for m, short in METRICS.items() if m in lhr["audits"]))
        for c in CATEGORIES:
            failing = failing_audits(lhr, c)
            weighted = [f for f in failing if f[4] > 0]
            if scores[c] is None or scores[c] < 100:
                print(f"  {c} {fmt(scores[c])} is lost on:"
                      + ("" if weighted else " no weighted audit"))
                for audit_id, title, s, shown, _ in weighted:
                    extra = f" ({shown})" if shown else ""
                    print(f"    - {audit_id}: {title} [score {s}]{extra}")
            diagnostics = [f"{i} ({shown})" if shown else i
                           for i, _, s, shown, weight in failing if weight == 0 and s == 0]
            if diagnostics:
                print(f"  {c} diagnostics (no weight in the score): " + "; ".join(diagnostics))
        for w in lhr.get("runWarnings") or []:
            print(f"  lighthouse warning: {w}")

    total = print_budget(assets)
    if total > BUDGET_GZIP:
        missed.append(f"TARGET MISSED: JS+CSS {kb(total)} gzipped > budget {kb(BUDGET_GZIP)}")

    print()
    for line in missed:
        print(line)
    if not missed:
        print("All targets met: performance >= 95, accessibility 100, best practices 100, "
              f"JS+CSS <= {kb(BUDGET_GZIP)} gzipped.")
    print(f"Reports: {out}/lighthouse-*.report.{{json,html}}")
    return 0


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="bench/lighthouse", description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=1, metavar="N",
                        help="Lighthouse runs per page; the median performance run is "
                             "reported (default 1; 3 or 5 smooths out a busy machine)")
    args = parser.parse_args(argv)
    if args.runs < 1:
        parser.error("--runs must be at least 1")
    return args


# --- the server -----------------------------------------------------------------------

def wait_for_server(base: str, pid: int, timeout: float = 60.0) -> None:
    """Poll until the server answers (no fixed sleeps); stop early if it died."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            with urllib.request.urlopen(base + "/login", timeout=2) as resp:
                if resp.status == 200:
                    return
        except urllib.error.HTTPError as exc:
            raise BenchError(f"server answered /login with HTTP {exc.code}") from exc
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        if pid and not alive(pid):
            raise BenchError("the server exited before it answered (see its log above)")
        if time.monotonic() > deadline:
            raise BenchError(f"the server did not answer within {timeout:.0f} s")
        time.sleep(0.1)


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


class MetaCsrf(html.parser.HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.token: str | None = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "meta" and a.get("name") == "csrf-token":
            self.token = a.get("content")


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


class Browser:
    """One person's cookie jar, speaking to the app the way a phone's browser does.

    The app uses Flask-Login's "strong" session protection, which ties a session to the
    client's address and User-Agent, so every request carries Lighthouse's own mobile UA.
    """

    def __init__(self, base: str, user_agent: str, email: str) -> None:
        self.base, self.user_agent, self.email = base, user_agent, email
        self.jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar))
        self.opener.addheaders = [("User-Agent", user_agent)]
        self.csrf: str | None = None

    def get(self, path: str) -> tuple[str, str]:
        """GET ``path`` following redirects; return (final path, body)."""
        return self._open(path, None)

    def post(self, path: str, fields: dict[str, str]) -> tuple[str, str]:
        fields = {**fields, "csrf_token": self.csrf or ""}
        return self._open(path, urllib.parse.urlencode(fields).encode())

    def _open(self, path: str, data: bytes | None) -> tuple[str, str]:
        try:
            with self.opener.open(self.base + path, data=data, timeout=10) as resp:
                body = resp.read().decode()
                landed = urllib.parse.urlsplit(resp.geturl()).path
        except urllib.error.HTTPError as exc:
            raise BenchError(f"{self.email}: {'POST' if data else 'GET'} {path} "
                             f"answered HTTP {exc.code}") from exc
        parser = MetaCsrf()
        parser.feed(body)
        self.csrf = parser.token or self.csrf
        return landed, body

    def sign_in(self, password: str) -> str:
        """Sign in through /login; return the path the app sent us to."""
        self.get("/login")
        if not self.csrf:
            raise BenchError("no <meta name=csrf-token> on /login")
        landed, _ = self.post("/login", {"email": self.email, "password": password})
        if landed == "/login":
            raise BenchError(f"signing in as {self.email} did not leave /login")
        return landed

    def cookie_header(self) -> str:
        return "; ".join(f"{c.name}={c.value}" for c in self.jar)

    def cookies(self) -> list[dict]:
        """The jar's cookies for Chromium's (CDP's) cookie store."""
        return [{"name": c.name, "value": c.value, "domain": c.domain, "path": c.path,
                 "httpOnly": True, "sameSite": "Lax", "secure": bool(c.secure)}
                for c in self.jar]


def approve_device(head: Browser, person: Browser) -> None:
    """R13: a new device waits for the headteacher, who approves it and reads out a
    passcode the person types in. Done through the app's own pages, like people do."""
    _, page = head.get("/devices")
    ids = sorted(set(re.findall(r'action="/devices/(\d+)/approve"', page)))
    if len(ids) != 1:
        raise BenchError(f"expected one device waiting for approval, found {len(ids)}")
    _, page = head.post(f"/devices/{ids[0]}/approve", {})
    code = re.search(r'id="passcode"[^>]*>\s*(\d{6})\s*<', page)
    if not code:
        raise BenchError("no 6-digit passcode on the approval page")
    person.get("/device/waiting")
    landed, _ = person.post("/device/passcode", {"passcode": code.group(1)})
    if landed == "/device/waiting":
        raise BenchError(f"the passcode did not approve {person.email}'s device")


def signed_in_page(browser: Browser, path: str, marker: str) -> str:
    """Check the cookies alone (as Lighthouse will send them) open the signed-in page."""
    req = urllib.request.Request(browser.base + path, headers={
        "User-Agent": browser.user_agent, "Cookie": browser.cookie_header()})
    try:
        with urllib.request.build_opener(NoRedirect).open(req, timeout=10) as resp:
            body = resp.read().decode()
    except urllib.error.HTTPError as exc:
        where = exc.headers.get("Location", "")
        raise BenchError(f"{browser.email}: {path} with the cookies answered HTTP {exc.code}"
                         + (f" -> {where}" if where else "")) from exc
    if marker not in body:
        raise BenchError(f"{browser.email}: {path} is not the signed-in page ({marker!r} missing)")
    return body


# --- Lighthouse -----------------------------------------------------------------------

def lighthouse_version() -> str:
    package = HERE / "node_modules" / "lighthouse" / "package.json"
    return json.loads(package.read_text())["version"]


def lighthouse_mobile_user_agent() -> str:
    script = ("import * as c from './node_modules/lighthouse/core/config/constants.js';"
              "process.stdout.write(c.userAgents.mobile)")
    done = subprocess.run(["node", "--input-type=module", "-e", script], cwd=HERE,
                          capture_output=True, text=True, check=False)
    if done.returncode or not done.stdout:
        raise BenchError("cannot read Lighthouse's mobile User-Agent: " + done.stderr[-500:])
    return done.stdout


# Lighthouse's Node API (the same code as its CLI) on a Chromium whose cookie jar holds the
# session, as a phone's would. Not `lighthouse --extra-headers '{"Cookie": ...}'`: that
# header reaches only the page's own requests, so the service worker's precache of /offline
# went out without it, got an anonymous session cookie back, and Chromium then sent that
# cookie on the page's next fetch: a random CSRF 400 and best practices 96 on some runs.
DRIVER = """
import fs from 'node:fs';
import * as chromeLauncher from 'chrome-launcher';
import puppeteer from 'puppeteer-core';
import lighthouse from 'lighthouse';

const job = JSON.parse(process.env.TC_LIGHTHOUSE_JOB);
// chrome-launcher kills its Chromium on SIGINT; do the same on SIGTERM (Chromium runs in a
// process group of its own, so it would outlive us).
process.on('SIGTERM', () => chromeLauncher.killAll().finally(() => process.exit(143)));
const chrome = await chromeLauncher.launch({
  chromePath: job.chromePath, chromeFlags: job.chromeFlags, logLevel: 'silent'});
try {
  const browser = await puppeteer.connect({browserURL: `http://127.0.0.1:${chrome.port}`,
                                     defaultViewport: null});
  await browser.setCookie(...job.cookies);
  await browser.disconnect();
  const result = await lighthouse(job.url, {port: chrome.port, logLevel: 'error',
    output: ['json', 'html'], onlyCategories: job.categories, formFactor: 'mobile'});
  if (!result) throw new Error('Lighthouse returned nothing');
  fs.writeFileSync(job.outputBase + '.report.json', result.report[0]);
  fs.writeFileSync(job.outputBase + '.report.html', result.report[1]);
} finally {
  await chrome.kill();
}
"""


def run_lighthouse(url: str, cookies: list[dict], output_base: Path, user_agent: str) -> dict:
    """One Lighthouse run, default config = mobile preset (Moto G Power, slow 4G, 4x CPU)."""
    job = {"url": url, "cookies": cookies, "outputBase": str(output_base),
           "categories": list(CATEGORIES),
           "chromePath": os.environ.get("CHROME_PATH", "/usr/bin/chromium"),
           # Chromium's own UA = Lighthouse's emulated one, so the service worker's requests
           # carry the same UA as the page's (Flask-Login's "strong" mode ties sessions to it).
           "chromeFlags": [*CHROME_FLAGS.split(), f"--user-agent={user_agent}"]}
    report = Path(f"{output_base}.report.json")
    report.unlink(missing_ok=True)
    with subprocess.Popen(["node", "--input-type=module", "-e", DRIVER], cwd=HERE,
                          env={**os.environ, "TC_LIGHTHOUSE_JOB": json.dumps(job)},
                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True) as node:
        try:
            output, _ = node.communicate(timeout=240)
        except BaseException as exc:  # timeout, Ctrl-C, SIGTERM: let node close Chromium
            node.terminate()
            try:
                node.wait(timeout=10)
            except subprocess.TimeoutExpired:
                node.kill()
            if isinstance(exc, subprocess.TimeoutExpired):
                raise BenchError(f"Lighthouse took longer than 240 s on {url}") from exc
            raise
    if node.returncode or not report.exists():
        raise BenchError(f"Lighthouse failed on {url} (exit {node.returncode}):\n"
                         + output[-2000:])
    lhr = json.loads(report.read_text())
    error = lhr.get("runtimeError")
    if error:
        kind = Flake if error.get("code") in FLAKES else BenchError
        raise kind(f"Lighthouse {error.get('code')} on {url}: {error.get('message', '')}")
    return lhr


# Lighthouse's own "please run Lighthouse again" errors: seen now and then on a busy machine.
FLAKES = {"NO_NAVSTART", "NO_FCP", "NO_LCP", "PROTOCOL_TIMEOUT", "NO_TRACING_STARTED",
          "NO_RESOURCE_REQUEST", "CRI_TIMEOUT"}
RETRIES = 2


class Flake(BenchError):
    """A Lighthouse run that failed for reasons of its own; worth one more try."""


def run_lighthouse_retrying(url: str, cookies: list[dict], output_base: Path,
                            user_agent: str) -> dict:
    for attempt in range(RETRIES + 1):
        try:
            return run_lighthouse(url, cookies, output_base, user_agent)
        except Flake as exc:
            if attempt == RETRIES:
                raise
            print(f"  {exc}; running it again", flush=True)
    raise AssertionError("unreachable")


def score(lhr: dict, category: str) -> int | None:
    s = lhr["categories"].get(category, {}).get("score")
    return None if s is None else round(s * 100)


def fmt(s: int | None) -> str:
    return "n/a" if s is None else str(s)


def failing_audits(lhr: dict, category: str) -> list[tuple[str, str, object, str, float]]:
    """(id, title, score, shown value, weight) of the audits of ``category`` scoring below 1,
    or erroring (informative, manual and not-applicable audits are left out)."""
    found = []
    for ref in lhr["categories"][category]["auditRefs"]:
        audit = lhr["audits"][ref["id"]]
        mode, s = audit.get("scoreDisplayMode"), audit.get("score")
        if mode == "error":
            found.append((ref["id"], audit["title"], "error", audit.get("errorMessage", ""),
                          ref.get("weight", 0)))
        elif mode not in ("informative", "manual", "notApplicable") and s is not None and s < 1:
            found.append((ref["id"], audit["title"], round(s, 2), audit.get("displayValue", ""),
                          ref.get("weight", 0)))
    return found


# --- the JS + CSS budget --------------------------------------------------------------

class AssetRefs(html.parser.HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "script" and a.get("src"):
            self.urls.append(a["src"])
        elif tag == "link" and "stylesheet" in (a.get("rel") or "").split() and a.get("href"):
            self.urls.append(a["href"])


def page_assets(base: str, html_text: str) -> list[str]:
    """Scripts and stylesheets the page references, plus the service worker app.js registers."""
    parser = AssetRefs()
    parser.feed(html_text)
    urls = [urllib.parse.urljoin(base + "/", u) for u in parser.urls]
    return [*urls, base + "/sw.js"]


def lighthouse_assets(lhr: dict, base: str) -> list[str]:
    """Same-origin Script/Stylesheet requests Lighthouse saw the page make."""
    items = lhr["audits"].get("network-requests", {}).get("details", {}).get("items", [])
    return [i["url"] for i in items if i.get("resourceType") in ("Script", "Stylesheet")
            and i["url"].startswith(base)]


def print_budget(assets: dict[str, set[str]]) -> int:
    """Fetch every script and stylesheet, gzip it, print a table; return the gzipped total."""
    print(f"\nJS + CSS shipped to the phone (gzip -{GZIP_LEVEL} of each file; "
          f"budget {kb(BUDGET_GZIP)} gzipped):")
    print(f"  {'file':<46} {'bytes':>8} {'gzipped':>8}  {'sent as':<8} pages")
    total_raw = total_gz = total_wire = 0
    for url in sorted(assets):
        req = urllib.request.Request(url, headers={"Accept-Encoding": "gzip, br, zstd"})
        with urllib.request.urlopen(req, timeout=10) as resp:
            body = resp.read()
            encoding = resp.headers.get("Content-Encoding", "identity")
        if encoding not in ("identity", "gzip"):
            raise BenchError(f"{url} came {encoding}-encoded; teach the bench to decode it")
        raw = gzip.decompress(body) if encoding == "gzip" else body
        gz = len(gzip.compress(raw, compresslevel=GZIP_LEVEL, mtime=0))
        total_raw += len(raw)
        total_gz += gz
        total_wire += len(body)
        name = urllib.parse.urlsplit(url).path
        pages = "all" if len(assets[url]) == len(PAGES) else ", ".join(sorted(assets[url]))
        print(f"  {name:<46} {len(raw):>8,} {gz:>8,}  {encoding:<8} {pages}")
    flag = "within" if total_gz <= BUDGET_GZIP else "OVER"
    print(f"  {'total':<46} {total_raw:>8,} {total_gz:>8,}  = {kb(total_gz)} gzipped, "
          f"{flag} the {kb(BUDGET_GZIP)} budget")
    if total_wire > total_gz:
        print(f"  note: the app itself sends {kb(total_wire)} (no compression); the gzipped "
              "figure assumes the reverse proxy compresses (Caddy: `encode zstd gzip`).")
    return total_gz


def kb(n: int) -> str:
    return f"{n / 1024:.1f} KB"


def _terminated(signum, _frame):
    raise SystemExit(128 + signum)


if __name__ == "__main__":
    signal.signal(signal.SIGTERM, _terminated)
    try:
        sys.exit(main(sys.argv[1:]))
    except (BenchError, urllib.error.URLError, OSError) as exc:
        print(f"bench/lighthouse: {exc}", file=sys.stderr)
        sys.exit(2)
