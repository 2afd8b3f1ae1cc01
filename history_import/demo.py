"""`make demo`: import the CDNOW purchase log and print a few analytics answers.

Uses the stack at GATEWAY_HOST:GATEWAY_PORT when it responds; otherwise
starts one from the Procfile, as `make run` does, and stops it at the end
(the data stays in DATA_DIR, so a later `make run` serves it).
"""
import json
import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from decimal import Decimal

from history_import.cdnow import fetch_cdnow

START_TIMEOUT = 90  # seconds for a started stack to respond
CATCH_UP_TIMEOUT = 120  # seconds for analytics to count the whole file
FIRST_MONTH, LAST_MONTH = "1997-01", "1998-06"


def get_json(base_url, path):
    with urllib.request.urlopen(base_url + path, timeout=5) as response:
        return json.load(response)


def stack_answers(base_url):
    try:
        return bool(get_json(base_url, "/data/products"))
    except (urllib.error.URLError, OSError, ValueError):
        return False


def start_stack(base_url, log_path):
    print(f"no stack responds at {base_url}; starting one (log: {log_path})")
    log = open(log_path, "ab")
    process = subprocess.Popen(
        [os.path.join(os.path.dirname(sys.executable), "honcho"), "start", "-f", "Procfile"],
        stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
        env=dict(os.environ, PATH=os.path.dirname(sys.executable) + os.pathsep + os.environ.get("PATH", "")),
    )
    deadline = time.monotonic() + START_TIMEOUT
    while not stack_answers(base_url):
        if process.poll() is not None or time.monotonic() > deadline:
            stop_stack(process)
            sys.exit(f"the stack did not start within {START_TIMEOUT} s; see {log_path}")
        time.sleep(0.5)
    return process


def stop_stack(process):
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGINT)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)


def total_dollars(path):
    total = Decimal(0)
    with open(path) as source:
        for text in source:
            fields = text.split()
            if len(fields) == 4 and fields[0] != "customer_id":
                total += Decimal(fields[3])
    return float(total)


def wait_for_total(base_url, expected):
    query = f"/data/total_purchases?start_date={FIRST_MONTH}&end_date={LAST_MONTH}"
    deadline = time.monotonic() + CATCH_UP_TIMEOUT
    while time.monotonic() < deadline:
        if get_json(base_url, query)["total_purchases"] == expected:
            return True
        time.sleep(0.5)
    return False


def print_answers(base_url):
    products = get_json(base_url, "/data/products")
    cd = next(product["id"] for product in products if product["name"] == "CD")
    for path in [
        f"/data/values?product_id={cd}&start_date={FIRST_MONTH}&end_date={LAST_MONTH}",
        f"/data/total_purchases?start_date={FIRST_MONTH}&end_date={LAST_MONTH}",
        f"/data/average_check?start_date={FIRST_MONTH}&end_date={LAST_MONTH}",
        f"/data/visitor_count?start_date={FIRST_MONTH}&end_date={LAST_MONTH}",
        "/data/visitor_count?start_date=1997-01&end_date=1997-03",
        "/data/total_purchases?start_date=1997-11&end_date=1998-02",
    ]:
        print(f"GET {path}\n    {json.dumps(get_json(base_url, path))}")


def main():
    data_dir = os.environ.get("DATA_DIR", "./var")
    base_url = "http://{}:{}".format(os.environ.get("GATEWAY_HOST", "127.0.0.1"),
                                     os.environ.get("GATEWAY_PORT", "8000"))
    path = fetch_cdnow(os.path.join(data_dir, "cdnow"))
    print(f"CDNOW master file: {path}")

    process = None
    if not stack_answers(base_url):
        os.makedirs(data_dir, exist_ok=True)
        process = start_stack(base_url, os.path.join(data_dir, "demo-stack.log"))
    try:
        subprocess.run([sys.executable, "-m", "history_import", path, "--format", "cdnow"], check=True)
        if not wait_for_total(base_url, total_dollars(path)):
            sys.exit(f"analytics did not count the whole file within {CATCH_UP_TIMEOUT} s")
        print_answers(base_url)
    finally:
        if process is not None:
            print("stopping the stack started for the demo; `make run` serves the imported data again")
            stop_stack(process)


if __name__ == "__main__":
    main()
