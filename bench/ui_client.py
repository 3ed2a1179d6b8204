"""A live page held open in headless Chromium for the UI benchmark: loads URL and stays until the
job ends (its stream drops) or 300 s pass; prints how many updates the page drew."""
import shutil, sys, time

from selenium import webdriver
from selenium.webdriver.chrome.service import Service

o = webdriver.ChromeOptions()
o.binary_location = shutil.which("chromium") or "/usr/bin/chromium"
for a in ["--headless=new", "--no-sandbox", "--disable-gpu", "--window-size=1440,1900"]:
    o.add_argument(a)
d = webdriver.Chrome(options=o, service=Service(executable_path=shutil.which("chromedriver") or "/usr/bin/chromedriver"))
d.get(sys.argv[1])
d.execute_script("window.__updates = 0; const f = window.requestAnimationFrame; window.requestAnimationFrame = cb => f(t => { window.__updates++; cb(t); });")
seen_live, deadline, updates = False, time.time() + 300, 0
while time.time() < deadline:
    try:
        state = d.execute_script("return [document.getElementById('connection').textContent, window.__updates]")
    except Exception:
        break
    updates = state[1]
    if state[0] == "live":
        seen_live = True
    elif seen_live:
        break
    time.sleep(0.2)
print("page drew %d frames" % updates)
d.quit()
