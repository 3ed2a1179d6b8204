"""The live job page in a real browser: headless Chromium (Debian's, driven by Selenium through
Debian's chromedriver) loads the page of the IoT example running at 60x real time, and the test
reads the page as it updates.

usage: $(scripts/ui-browser.sh) Tests/ui/ui_test.py [--saql .build/debug/saql]

Checks that every node of the plan is drawn, that the counters grow between two loads, that an
out-of-order event put in on purpose appears with its reason and a sample, that the dashboard
output's chart gains points, and that a page bound to a non-loopback address answers 401 without
its token, page, stream and metrics alike. Screenshots go to Tests/ui/artifacts/ (ignored by git).
"""
import argparse, json, os, re, shutil, subprocess, sys, tempfile, time, urllib.error, urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
ARTIFACTS = os.path.join(ROOT, "Tests", "ui", "artifacts")
failures = []


def check(ok, what):
    print(("ok   " if ok else "FAIL ") + what, flush=True)
    if not ok:
        failures.append(what)


def start_job(saql, job, logs, ui, extra=(), pace="60x"):
    log = open(os.path.join(logs, "run-%d.log" % len(os.listdir(logs))), "w+")
    p = subprocess.Popen([saql, "run", os.path.join(job, "iot-telemetry.saql"), "--set", "replay=" + pace, "--ui", ui, *extra],
                         stderr=log, stdout=subprocess.DEVNULL)
    deadline = time.time() + 60
    while time.time() < deadline:
        log.seek(0)
        m = re.search(r"live page on (http://\S+/)", log.read())
        if m:
            return p, m.group(1), log
        if p.poll() is not None:
            break
        time.sleep(0.1)
    log.seek(0)
    raise SystemExit("the job did not report its page:\n" + log.read())


def browser(width, height):
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service
    o = webdriver.ChromeOptions()
    o.binary_location = shutil.which("chromium") or "/usr/bin/chromium"
    for a in ["--headless=new", "--no-sandbox", "--disable-gpu", "--hide-scrollbars", "--window-size=%d,%d" % (width, height)]:
        o.add_argument(a)
    return webdriver.Chrome(options=o, service=Service(executable_path=shutil.which("chromedriver") or "/usr/bin/chromedriver"))


def wait(driver, script, timeout=60):
    """Polls a JavaScript expression until it is truthy; returns its last value."""
    deadline = time.time() + timeout
    value = None
    while time.time() < deadline:
        value = driver.execute_script("return " + script)
        if value:
            return value
        time.sleep(0.25)
    return value


def status(url):
    try:
        with urllib.request.urlopen(url, timeout=10) as r:
            r.read(64)
            return r.status
    except urllib.error.HTTPError as e:
        return e.code


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--saql", default=os.path.join(ROOT, ".build", "debug", "saql"))
    args = ap.parse_args()
    work = tempfile.mkdtemp(prefix="saql-ui-")
    shutil.copytree(os.path.join(ROOT, "queries"), os.path.join(work, "job"), ignore=shutil.ignore_patterns("out"))
    job = os.path.join(work, "job")
    # An event 8 minutes older than its neighbours, 10 minutes into the data (10 s at 60x):
    # out of order beyond the tolerance, so it is adjusted and dead-lettered with its reason.
    data = os.path.join(job, "data", "telemetry.jsonl")
    lines = open(data).read().splitlines()
    late = '{"DeviceId":"dev-late","DeviceType":"pump","EventEnqueuedUtcTime":"2024-01-01T00:02:00.000Z","Temperature":40.0,"Pressure":1000.0,"Vibration":20.0}'
    lines.insert(600, late)
    open(data, "w").write("\n".join(lines) + "\n")
    logs = os.path.join(work, "logs")
    os.makedirs(logs)

    p, url, log = start_job(args.saql, job, logs, "127.0.0.1:0")
    try:
        with urllib.request.urlopen(url + "api/plan") as r:
            plan = json.load(r)
        ids = {n["id"] for n in plan["nodes"]}
        driver = browser(1440, 1900)
        try:
            driver.get(url)
            check(bool(wait(driver, "document.body.dataset.ready === 'true' && document.getElementById('connection').textContent === 'live'")),
                  "the page's script ran and its event stream is live")
            drawn = set(driver.execute_script("return [...document.querySelectorAll('[data-node-id]')].map(e => +e.dataset.nodeId)"))
            check(drawn == ids and len(ids) >= 20, "every node of the plan is drawn (%d of %d)" % (len(drawn & ids), len(ids)))
            boxes = driver.execute_script("""return [...document.querySelectorAll('[data-node-id] rect')].map(r => {
                const b = r.getBoundingClientRect(); return [b.left, b.top, b.right, b.bottom]; })""")
            overlaps = sum(1 for i, a in enumerate(boxes) for b in boxes[i + 1:] if a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3])
            check(overlaps == 0, "no two operators overlap (%d pairs do)" % overlaps)
            read = "[+document.getElementById('total-in').textContent, Object.fromEntries([...document.querySelectorAll('[data-node-id]')].map(e => [e.dataset.nodeId, +e.dataset.rows]))]"
            wait(driver, "!!document.getElementById('total-in') && +document.getElementById('total-in').textContent > 0")
            first = driver.execute_script("return " + read)
            time.sleep(3)
            second = driver.execute_script("return " + read)
            check(second[0] > first[0] > 0, "the input counter grows between two reads (%d, then %d)" % (first[0], second[0]))
            grown = [i for i in second[1] if second[1][i] > first[1].get(i, 0)]
            check(len(grown) >= 5, "operators' row counts grow between two reads (%d nodes)" % len(grown))
            sample = wait(driver, """(() => { const r = document.querySelector('tr[data-reason="out_of_order_adjusted"]');
                return r && r.classList.contains('hit') && r.textContent.includes('dev-late') ? r.textContent : null; })()""")
            check(bool(sample) and "out of order" in sample, "the out-of-order event appears with its reason and its sample: %s" % (sample or "")[:160])
            points = "+(document.querySelector('[data-output=\"LiveDashboard\"] canvas') || {dataset: {}}).dataset.points || 0"
            p1 = wait(driver, points)
            time.sleep(4)
            p2 = driver.execute_script("return " + points)
            check(p2 > p1 > 0, "the dashboard output's chart gains points (%s, then %s)" % (p1, p2))
            os.makedirs(ARTIFACTS, exist_ok=True)
            driver.save_screenshot(os.path.join(ARTIFACTS, "iot-page.png"))
            driver.execute_cdp_cmd("Emulation.setEmulatedMedia", {"features": [{"name": "prefers-color-scheme", "value": "dark"}]})
            time.sleep(0.5)
            background = driver.execute_script("return getComputedStyle(document.body).backgroundColor")
            check(background not in ("rgb(246, 247, 249)", "rgb(255, 255, 255)"), "the page follows dark mode (background %s)" % background)
            driver.save_screenshot(os.path.join(ARTIFACTS, "iot-page-dark.png"))
            driver.execute_cdp_cmd("Emulation.setEmulatedMedia", {"features": [{"name": "prefers-color-scheme", "value": "light"}]})
            driver.set_window_size(1280, 800)
            time.sleep(1)
            driver.save_screenshot(os.path.join(ARTIFACTS, "iot-page-laptop.png"))
            check(all(os.path.getsize(os.path.join(ARTIFACTS, f)) > 20000 for f in ["iot-page.png", "iot-page-laptop.png"]),
                  "screenshots in Tests/ui/artifacts/")
        finally:
            driver.quit()
        check(status(url + "metrics") == 200, "/metrics is served beside the page")
    finally:
        p.terminate()
        p.wait(timeout=30)

    # A plan of more than 50 operators: every node drawn, no two overlapping, labels inside their boxes.
    big = os.path.join(work, "big")
    os.makedirs(big)
    shutil.copy(data, os.path.join(big, "telemetry.jsonl"))
    statements = ["CREATE INPUT T WITH (connector = 'file', path = 'telemetry.jsonl');"]
    for i in range(14):
        statements.append("CREATE OUTPUT O%d WITH (connector = 'dashboard');" % i)
        statements.append("SELECT DeviceType, AVG(Temperature) AS t%d, COUNT(*) AS n INTO O%d FROM T TIMESTAMP BY EventEnqueuedUtcTime "
                          "WHERE Vibration > %d GROUP BY DeviceType, TumblingWindow(minute, %d)" % (i, i, i, 1 + i % 3))
    # ...and an output of every event, at 1,000 events a second: the page must keep up.
    statements.append("CREATE OUTPUT Raw WITH (connector = 'dashboard');")
    statements.append("SELECT DeviceId, Temperature, Vibration INTO Raw FROM T")
    open(os.path.join(big, "iot-telemetry.saql"), "w").write("\n".join(statements) + "\n")
    p, url, log = start_job(args.saql, big, logs, "127.0.0.1:0", pace="1000x")
    try:
        with urllib.request.urlopen(url + "api/plan") as r:
            nodes = len(json.load(r)["nodes"])
        driver = browser(1440, 900)
        try:
            driver.get(url)
            wait(driver, "document.body.dataset.ready === 'true'")
            drawn = driver.execute_script("return document.querySelectorAll('[data-node-id]').length")
            boxes = driver.execute_script("""return [...document.querySelectorAll('[data-node-id] rect')].map(r => {
                const b = r.getBoundingClientRect(); return [b.left, b.top, b.right, b.bottom]; })""")
            overlaps = sum(1 for i, a in enumerate(boxes) for b in boxes[i + 1:] if a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3])
            outside = driver.execute_script("""return [...document.querySelectorAll('[data-node-id]')].filter(g => {
                const r = g.querySelector('rect').getBoundingClientRect();
                return [...g.querySelectorAll('text')].some(t => { const b = t.getBoundingClientRect(); return b.width > 0 && b.right > r.right + 1; });
            }).length""")
            check(nodes >= 50 and drawn == nodes and overlaps == 0 and outside == 0,
                  "a plan of %d operators: %d drawn, %d overlapping pairs, %d labels past their box" % (nodes, drawn, overlaps, outside))
            driver.save_screenshot(os.path.join(ARTIFACTS, "plan-50.png"))
            # Responsive at 1,000 rows a second into a dashboard: script calls answer fast and
            # the chart keeps gaining points.
            raw = "+(document.querySelector('[data-output=\"Raw\"] canvas') || {dataset: {}}).dataset.points || 0"
            before = wait(driver, raw)
            latencies = []
            for _ in range(10):
                t0 = time.time()
                driver.execute_script("return document.getElementById('total-in').textContent")
                latencies.append(time.time() - t0)
                time.sleep(0.2)
            rows_in = driver.execute_script("return +document.getElementById('total-in').textContent")
            check(max(latencies) < 1.0 and rows_in > 1000,
                  "at 1,000 events a second the page answers within %.0f ms (%d events in)" % (max(latencies) * 1000, rows_in))
            check(before > 0, "the every-row dashboard is charted (%d points)" % before)
        finally:
            driver.quit()
    finally:
        p.terminate()
        p.wait(timeout=30)

    # Bound to every address: the token on every request.
    refused = subprocess.run([args.saql, "run", os.path.join(job, "iot-telemetry.saql"), "--ui", "0.0.0.0:0"],
                             capture_output=True, text=True, env={k: v for k, v in os.environ.items() if k != "SAQL_UI_TOKEN"})
    check(refused.returncode != 0 and "--ui-token" in refused.stderr, "a non-loopback page without a token is refused")
    p, url, log = start_job(args.saql, job, logs, "0.0.0.0:0", ["--ui-token", "s3cret"])
    try:
        port = re.search(r":(\d+)/$", url).group(1)
        base = "http://127.0.0.1:%s/" % port
        for path in ["", "app.js", "api/plan", "api/events", "metrics"]:
            check(status(base + path) == 401, "/%s without the token is 401" % path)
        check(status(base + "?token=wrong") == 401, "a wrong token is 401")
        check(status(base + "?token=s3cret") == 200, "the page with its token is 200")
        req = urllib.request.Request(base + "metrics", headers={"Authorization": "Bearer s3cret"})
        with urllib.request.urlopen(req) as r:
            check(r.status == 200, "/metrics with the token as a bearer header is 200")
        driver = browser(1280, 800)
        try:
            driver.get(base + "?token=s3cret")
            check(bool(wait(driver, "document.body.dataset.ready === 'true' && document.getElementById('connection').textContent === 'live' && document.querySelectorAll('[data-node-id]').length > 0")),
                  "the page with its token loads its plan and its stream")
        finally:
            driver.quit()
    finally:
        p.terminate()
        p.wait(timeout=30)
    shutil.rmtree(work, ignore_errors=True)
    if failures:
        print("%d check(s) failed" % len(failures))
        sys.exit(1)
    print("live page: all checks passed")


if __name__ == "__main__":
    main()
