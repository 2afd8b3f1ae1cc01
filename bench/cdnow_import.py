"""Benchmark: the whole CDNOW file imported until analytics answers match.

Starts a fresh stack (as `make run` does, on its own vhost and data
directory), imports the file with the CLI, and polls /data/total_purchases
until it equals the file's total. Prints the times from the start of the
import to its end and to the first matching answer.

    python -m bench.cdnow_import [sqlite|postgresql ...]
"""
import os
import subprocess
import sys
import tempfile
import time
from decimal import Decimal

import httpx

from history_import.cdnow import fetch_cdnow
from tests.e2e.stack import BIN, REPO, Stack

POLL_INTERVAL = 0.2
CATCH_UP_TIMEOUT = 300


def file_total(path):
    total, rows = Decimal(0), 0
    with open(path) as source:
        for text in source:
            fields = text.split()
            if len(fields) == 4 and fields[0] != "customer_id":
                total += Decimal(fields[3])
                rows += 1
    return float(total), rows


def run_once(backend, path, expected_total):
    with tempfile.TemporaryDirectory(prefix=f"bench-{backend}-") as directory:
        stack = Stack(backend, directory)
        stack.start()
        try:
            query = f"{stack.base_url}/data/total_purchases?start_date=1997-01&end_date=1998-06"
            env = dict(os.environ, AMQP_URI=stack.environment_amqp_uri, PYTHONWARNINGS="ignore")
            started = time.monotonic()
            subprocess.run([str(BIN / "python"), "-m", "history_import", str(path), "--format", "cdnow"],
                           cwd=REPO, env=env, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            imported = time.monotonic()
            while httpx.get(query).json()["total_purchases"] != expected_total:
                if time.monotonic() - imported > CATCH_UP_TIMEOUT:
                    raise SystemExit(f"{backend}: analytics did not match within {CATCH_UP_TIMEOUT} s")
                time.sleep(POLL_INTERVAL)
            matched = time.monotonic()
        finally:
            stack.stop()
    return imported - started, matched - started


def main(backends):
    path = fetch_cdnow(str(REPO / "var" / "cdnow"))
    expected_total, rows = file_total(path)
    print(f"CDNOW master file: {rows} rows, total {expected_total:.2f}")
    print("| database | import finished | analytics matching | rows/s to matching |")
    print("|---|---|---|---|")
    for backend in backends:
        import_seconds, match_seconds = run_once(backend, path, expected_total)
        print(f"| {backend} | {import_seconds:.1f} s | {match_seconds:.1f} s | {rows / match_seconds:,.0f} |")


if __name__ == "__main__":
    main(sys.argv[1:] or ["sqlite", "postgresql"])
