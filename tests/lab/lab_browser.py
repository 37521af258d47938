#!/usr/bin/python3
"""Real-browser tests of `handgrad lab`: Debian's chromium driven by
chromium-driver through python3-selenium, headless, against a lab started on
a free loopback port.

    lab_browser.py HANDGRAD_BIN ARTEFACT_DIR [TEST ...]

Screenshots go to ARTEFACT_DIR (kept as test artefacts). Exits 77 (CTest:
skipped) when chromium, chromium-driver or selenium is missing, saying so.
MNIST tests read $HANDGRAD_DATA/mnist and skip without it."""
import base64
import gzip
import json
import os
import re
import shutil
import signal
import struct
import subprocess
import sys
import tempfile
import time
import traceback
import urllib.request

SKIP = 77
TOKEN = "browser-test-token-42"


def need(ok, what):
    if not ok:
        print(f"SKIP: {what}")
        sys.exit(SKIP)


try:
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service
    from selenium.webdriver.common.action_chains import ActionChains
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys
    from selenium.webdriver.support.ui import WebDriverWait
except ImportError:
    need(False, "python3-selenium is not installed (apt-get install python3-selenium)")

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
DRIVER = shutil.which("chromedriver") or "/usr/bin/chromedriver"


class Lab:
    """`handgrad lab` on a free loopback port, stopped with SIGINT."""

    def __init__(self, binary, workdir, data_dir):
        args = [binary, "lab", "--port", "0", "--token", TOKEN, "--out", os.path.join(workdir, "runs")]
        if data_dir:
            args += ["--data-dir", data_dir]
        self.proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        line = self.proc.stdout.readline()
        m = re.search(r"(http://127\.0\.0\.1:(\d+)/\?token=\S+)", line)
        if not m:
            raise RuntimeError("no address from handgrad lab: " + line + self.proc.stderr.read())
        self.url, self.port = m.group(1), int(m.group(2))

    def api(self, method, path, body=None):
        req = urllib.request.Request(f"http://127.0.0.1:{self.port}{path}", method=method,
                                     data=None if body is None else json.dumps(body).encode(),
                                     headers={"Authorization": "Bearer " + TOKEN,
                                              "Content-Type": "application/json"})
        with urllib.request.urlopen(req, timeout=30) as r:
            return json.loads(r.read())

    def stop(self):
        self.proc.send_signal(signal.SIGINT)
        try:
            self.proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            raise RuntimeError("handgrad lab did not stop within 15 s of SIGINT")
        if self.proc.returncode != 0:
            raise RuntimeError(f"handgrad lab exited {self.proc.returncode}: {self.proc.stderr.read()}")


def browser(profile):
    opts = webdriver.ChromeOptions()
    opts.binary_location = CHROMIUM
    for flag in ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync",
                 "--disable-dev-shm-usage", "--window-size=1500,1100", f"--user-data-dir={profile}"]:
        opts.add_argument(flag)
    opts.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    d = webdriver.Chrome(service=Service(DRIVER), options=opts)
    d.set_page_load_timeout(30)
    d.set_script_timeout(30)
    return d


def wait(driver, cond, what, timeout=60):
    try:
        return WebDriverWait(driver, timeout, poll_frequency=0.1).until(lambda d: cond(d))
    except Exception:
        raise AssertionError(f"timed out after {timeout} s waiting for {what}")


def console_errors(driver):
    """The console's errors since the last call (reading them clears them), at most 3 shown."""
    return [e["message"][:300] for e in driver.get_log("browser") if e["level"] in ("SEVERE", "ERROR")][:3]


def canvas_classes(driver, canvas_id):
    """Share of the canvas's pixels that are tinted with class 0 (orange) and class 1 (blue)."""
    return driver.execute_script("""
      const c = document.getElementById(arguments[0]), g = c.getContext('2d');
      const d = g.getImageData(0, 0, c.width, c.height).data;
      let orange = 0, blue = 0, n = d.length / 4;
      for (let i = 0; i < d.length; i += 4) {
        const r = d[i], gg = d[i + 1], b = d[i + 2];
        if (r > b + 30) orange++; else if (b > r + 30) blue++;
      }
      return [orange / n, blue / n];""", canvas_id)


def load_mnist_test(data_dir, index):
    root = os.path.join(data_dir, "mnist")
    def opened(name):
        p = os.path.join(root, name)
        return gzip.open(p + ".gz", "rb") if os.path.exists(p + ".gz") else open(p, "rb")
    with opened("t10k-images-idx3-ubyte") as f:
        f.read(16 + 784 * index)
        img = list(f.read(784))
    with opened("t10k-labels-idx1-ubyte") as f:
        f.read(8 + index)
        label = f.read(1)[0]
    return img, label


# ---- the tests -----------------------------------------------------------------------------

def open_lab(t, hash_=""):
    t.driver.get(t.lab.url + hash_)
    wait(t.driver, lambda d: d.execute_script("return window.labReady === true"), "the page to start")


def play_state(t):
    return t.driver.find_element(By.ID, "p-state").text


def wait_view(t, what="the heat map"):
    wait(t.driver, lambda d: d.execute_script(
        "const s = Playground.state; return s.view !== null && s.run && s.view.step === s.run.step"), what)


def test_page_loads_without_console_errors(t):
    open_lab(t)
    wait_view(t)
    t.shot("playground-start")
    errors = console_errors(t.driver)
    assert not errors, f"console errors: {errors}"
    assert t.driver.find_element(By.ID, "p-cmd").text.startswith("handgrad train --preset seed-2d")
    # The activation dropdown lists exactly the layer table's activations.
    acts = [o.text for o in t.driver.find_elements(By.CSS_SELECTOR, "#p-act option")]
    table = [l["name"] for l in t.lab.api("GET", "/api/layers")["layers"] if l["category"] == "activation"]
    assert acts == table and "relu" in acts, (acts, table)


def test_playground_trains_moons(t):
    open_lab(t, "#tab=play&data=moons&pace=250")
    wait_view(t)
    t.driver.find_element(By.ID, "p-play").click()
    wait(t.driver, lambda d: play_state(t) == "playing", "playing")
    # Live: count the heat-map updates over two seconds of training.
    n0 = t.driver.execute_script("return Playground.state.views")
    time.sleep(2.0)
    n1 = t.driver.execute_script("return Playground.state.views")
    rate = (n1 - n0) / 2.0
    print(f"  heat map: {rate:.1f} updates/s while training at 250 steps/s")
    assert n1 - n0 >= 3, f"only {n1 - n0} heat-map updates in 2 s of training"
    t.shot("playground-training")
    # The rest as fast as it goes.
    t.driver.execute_script("document.getElementById('p-pace').value = '0';"
                            "document.getElementById('p-pace').dispatchEvent(new Event('change'))")
    wait(t.driver, lambda d: play_state(t) == "finished", "training to finish", timeout=120)
    wait_view(t, "the final heat map")
    acc = float(t.driver.find_element(By.ID, "p-teacc").text)
    print(f"  moons: test accuracy {acc:.4f}")
    assert acc >= 0.9, f"test accuracy {acc}"
    orange, blue = canvas_classes(t.driver, "p-map")
    print(f"  heat map pixels: {orange:.2f} class 0, {blue:.2f} class 1")
    assert orange > 0.1 and blue > 0.1, (orange, blue)
    dead = t.driver.execute_script("return document.querySelectorAll('#p-columns .unit').length")
    assert dead == 2 + 80 + 2, f"{dead} unit thumbnails"
    t.shot("playground-moons")
    errors = console_errors(t.driver)
    assert not errors, errors


def test_click_adds_a_point(t):
    open_lab(t, "#tab=play&data=xor&n=200")
    wait_view(t)
    m = t.driver.find_element(By.ID, "p-map")
    before = t.driver.execute_script("return Playground.state.edits.added.length")
    ActionChains(t.driver).move_to_element_with_offset(m, 30, -40).click().perform()
    ActionChains(t.driver).key_down(Keys.SHIFT).move_to_element_with_offset(m, -50, 20).click() \
        .key_up(Keys.SHIFT).perform()
    added = t.driver.execute_script("return Playground.state.edits.added")
    assert len(added) == before + 2, added
    assert added[-2][2] == 0 and added[-1][2] == 1, added
    # The run is rebuilt on the edited points: its command trains on them.
    def served(d):
        run = d.execute_script("return Playground.state.run && Playground.state.run.state !== 'loading' && Playground.state.run.id")
        return run and len(t.lab.api("GET", f"/api/runs/{run}/points")["train"]) == 160 + 2
    wait(t.driver, served, "a run on the 160 + 2 training points")
    assert "train.csv" in t.driver.find_element(By.ID, "p-cmd").text
    # Right-click removes the point under the pointer.
    ActionChains(t.driver).move_to_element_with_offset(m, -50, 20).context_click().perform()
    assert t.driver.execute_script("return Playground.state.edits.added.length") == before + 1
    assert "#" in t.driver.current_url and "pts=" in t.driver.current_url
    t.shot("playground-points")
    errors = console_errors(t.driver)
    assert not errors, errors


def test_url_reproduces_a_setup(t):
    h = "#tab=play&data=circles&n=300&tf=0.3&ds=4&h=4-6&act=relu&lr=0.03&mom=0.5&bs=8&ep=5&seed=7&std=0&clip=0&init=xavier"
    open_lab(t, h)
    wait_view(t)
    cmd = t.driver.find_element(By.ID, "p-cmd").text
    for part in ["--arch 'linear(4) relu linear(6) relu linear(2)'", "--data circles", "--n 300",
                 "--data-seed 4", "--test-fraction 0.3", "--epochs 5", "--batch-size 8", "--lr 0.03",
                 "--momentum 0.5", "--init xavier", "--clip-grad-norm 0", "--no-standardize", "--seed 7"]:
        assert part in cmd, f"{part!r} not in {cmd!r}"
    assert t.driver.find_element(By.ID, "p-arch").get_attribute("value") == "linear(4) relu linear(6) relu linear(2)"
    active = t.driver.find_element(By.CSS_SELECTOR, "#p-gens button.active").text
    assert active == "circles", active
    first = re.sub(r"--out \S+", "", cmd)
    # A second page from the same link: the same run.
    open_lab(t, h)
    wait_view(t)
    again = re.sub(r"--out \S+", "", t.driver.find_element(By.ID, "p-cmd").text)
    assert first == again, (first, again)
    t.shot("playground-url")


def draw_digit(t, img):
    """Synthetic mouse strokes over the 280x280 canvas: one stroke along every
    run of ink (>= 128) in each of the image's 28 rows."""
    c = t.driver.find_element(By.ID, "m-draw")
    chain = ActionChains(t.driver, duration=5)
    for r in range(28):
        row = img[28 * r: 28 * r + 28]
        c0 = None
        for x in range(29):
            ink = x < 28 and row[x] >= 128
            if ink and c0 is None:
                c0 = x
            if not ink and c0 is not None:
                y = r * 10 + 5 - 140
                chain.move_to_element_with_offset(c, c0 * 10 + 5 - 140, y).click_and_hold()
                chain.move_to_element_with_offset(c, (x - 1) * 10 + 5 - 140, y).release()
                c0 = None
    chain.perform()


class Skipped(Exception):
    """A test that cannot run here (says why); CTest shows it as skipped."""


def test_mnist_tab(t):
    if not t.data_dir:
        raise Skipped("no $HANDGRAD_DATA/mnist")
    open_lab(t, "#tab=mnist")
    d = t.driver
    d.find_element(By.ID, "m-limit").clear()
    d.find_element(By.ID, "m-limit").send_keys("4000")
    d.find_element(By.ID, "m-train").click()
    wait(d, lambda d: d.find_element(By.ID, "m-state").text == "finished", "MNIST training", timeout=180)
    acc = float(d.find_element(By.ID, "m-acc").text)
    print(f"  seed-cnn on 4000 MNIST images, 1 epoch: test accuracy {acc:.4f}")
    assert acc >= 0.8, acc
    run = d.execute_script("return Mnist.state.run.id")
    right = 0
    for index in range(6):
        img, label = load_mnist_test(t.data_dir, index)
        # The model's own answer on the test image itself, through the API.
        direct = t.lab.api("POST", "/api/predict", {"model": "run:" + run, "values": [v / 255 for v in img]})
        if direct["prediction"] != label:
            continue
        d.find_element(By.ID, "m-clear").click()
        draw_digit(t, img)
        wait(d, lambda d: d.execute_script(
            "return !Mnist.state.busy && !Mnist.state.pending && document.querySelectorAll('#m-layers .layer').length > 0"),
            "the per-layer views")
        got = int(d.find_element(By.ID, "m-top").get_attribute("data-prediction"))
        print(f"  test image {index} (label {label}) drawn with the mouse: predicted {got}")
        assert got == label, f"drew a {label}, the page says {got}"
        right += 1
        if right == 2:
            break
    assert right >= 1, "no test image to draw"
    layers = d.find_elements(By.CSS_SELECTOR, "#m-layers .layer")
    assert len(layers) == 11, f"{len(layers)} layer views (input + 10 layers of seed-cnn)"
    eqs = d.find_element(By.CSS_SELECTOR, '#m-layers .layer[data-index="0"] .eq').text
    assert "eq. 1" in eqs and "eq. 33" in eqs and "eq. 34" in eqs, eqs
    nonempty = d.execute_script("""
      let n = 0;
      for (const c of document.querySelectorAll('#m-layers canvas')) {
        const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
        let lit = false;
        for (let i = 0; i < d.length; i += 4) if (d[i] + d[i + 1] + d[i + 2] !== 765 && d[i] + d[i + 1] + d[i + 2] !== 0) { lit = true; break; }
        if (lit) n++;
      }
      return [n, document.querySelectorAll('#m-layers canvas').length];""")
    print(f"  per-layer views: {nonempty[0]} of {nonempty[1]} canvases show values")
    assert nonempty[0] >= 20, nonempty
    t.shot("mnist-digit")
    d.find_element(By.ID, "m-confusion").click()
    wait(d, lambda d: len(d.find_elements(By.CSS_SELECTOR, "#m-conf td.off")) > 0, "the confusion matrix")
    d.find_elements(By.CSS_SELECTOR, "#m-conf td.off")[0].click()
    wait(d, lambda d: len(d.find_elements(By.CSS_SELECTOR, "#m-wrong canvas")) > 0, "the misclassified images")
    d.find_elements(By.CSS_SELECTOR, "#m-wrong canvas")[0].click()
    wait(d, lambda d: d.execute_script("return !Mnist.state.busy && Mnist.state.source.kind === 'values'"),
         "the clicked image's layers")
    t.shot("mnist-confusion")
    errors = console_errors(d)
    assert not errors, errors


class T:
    pass


def main():
    if len(sys.argv) < 3:
        print(__doc__)
        return 2
    binary, artefacts = sys.argv[1], sys.argv[2]
    wanted = sys.argv[3:]
    need(os.path.exists(CHROMIUM), f"{CHROMIUM} not found (apt-get install chromium)")
    need(os.path.exists(DRIVER), f"{DRIVER} not found (apt-get install chromium-driver)")
    data = os.environ.get("HANDGRAD_DATA", "")
    data_dir = data if data and os.path.isdir(os.path.join(data, "mnist")) else ""
    os.makedirs(artefacts, exist_ok=True)
    for old in os.listdir(artefacts):  # a failure's picture is from the run that failed
        if old.startswith("failed-"):
            os.remove(os.path.join(artefacts, old))
    work = tempfile.mkdtemp(prefix="lab-browser-")
    tests = [(n, f) for n, f in globals().items() if n.startswith("test_") and (not wanted or n in wanted)]
    failed, skipped = [], []
    t = T()
    t.data_dir = data_dir
    t.lab = Lab(binary, work, data_dir)
    try:
        for name, fn in tests:
            t.driver = browser(os.path.join(work, "profile-" + name))
            t.shot = lambda n: t.driver.save_screenshot(os.path.join(artefacts, n + ".png"))
            start = time.time()
            try:
                fn(t)
                print(f"ok   {name} ({time.time() - start:.1f} s)")
            except Skipped as e:
                skipped.append(name)
                print(f"SKIP {name}: {e}")
            except Exception:
                failed.append(name)
                print(f"FAIL {name} ({time.time() - start:.1f} s)")
                traceback.print_exc()
                try:
                    t.shot("failed-" + name)
                    for e in t.driver.get_log("browser"):
                        print("  console:", e["level"], e["message"])
                except Exception:
                    pass
            finally:
                t.driver.quit()
    finally:
        t.lab.stop()
        shutil.rmtree(work, ignore_errors=True)
    print(f"screenshots in {artefacts}")
    if failed:
        return 1
    return SKIP if tests and len(skipped) == len(tests) else 0


if __name__ == "__main__":
    sys.exit(main())
