"""The import loop: read rows, group them into checks, send batches, count outcomes."""
import logging
import re
import time
from collections import Counter
from dataclasses import dataclass, field

from nameko.exceptions import RemoteError, RpcTimeout

from history_import.grouping import CheckGrouper
from history_import.rows import RowError

_log = logging.getLogger(__name__)

VALUE_PATTERN = re.compile(r"'[^']*'|\"[^\"]*\"|\d+(?:\.\d+)?")
RETRIES = 5
RETRY_DELAY = 2.0  # seconds, doubled after each failed attempt


class StrictModeStop(Exception):
    """A malformed row was found while --strict was set."""


@dataclass
class Summary:
    rows_read: int = 0
    checks_imported: int = 0
    checks_already_imported: int = 0
    rows_skipped: Counter = field(default_factory=Counter)

    def lines(self):
        yield f"rows read:               {self.rows_read}"
        yield f"checks imported:         {self.checks_imported}"
        yield f"checks already imported: {self.checks_already_imported}"
        yield f"rows skipped:            {sum(self.rows_skipped.values())}"
        for reason, count in self.rows_skipped.most_common():
            yield f"  {count:>6} × {reason}"


def reason_kind(message):
    """Return the reason's wording with the row's own values replaced by "…", to group them."""
    return VALUE_PATTERN.sub("…", message)


class Importer:
    def __init__(self, rpc, source, batch_size, strict, report_row, progress):
        self.rpc = rpc
        self.grouper = CheckGrouper(source)
        self.batch_size = batch_size
        self.strict = strict
        self.report_row = report_row
        self.progress = progress
        self.summary = Summary()
        self.batch = []

    def run(self, rows):
        for line_no, row in rows:
            self.summary.rows_read += 1
            self.progress(1)
            if isinstance(row, RowError):
                self.skip(line_no, row)
                continue
            try:
                completed = self.grouper.add(row)
            except RowError as error:
                self.skip(line_no, error)
                continue
            self.queue(completed)
        self.queue(self.grouper.flush())
        self.send()
        return self.summary

    def skip(self, line_no, error):
        self.report_row(line_no, str(error))
        self.summary.rows_skipped[reason_kind(str(error))] += 1
        if self.strict:
            raise StrictModeStop(f"line {line_no}: {error}")
        if error.check_ref is not None:
            for row in self.grouper.reject(error.check_ref):
                reason = f"check_id {error.check_ref!r} has a malformed line {line_no}"
                self.report_row(row.line_no, reason)
                self.summary.rows_skipped[reason_kind(reason)] += 1

    def queue(self, checks):
        self.batch.extend(checks)
        if len(self.batch) >= self.batch_size:
            self.send()

    def send(self):
        if not self.batch:
            return
        payload = [check.to_payload() for check in self.batch]
        result = self.call_with_retries(payload)
        self.summary.checks_imported += result["imported"]
        self.summary.checks_already_imported += result["already_imported"]
        self.batch = []

    def call_with_retries(self, payload):
        delay = RETRY_DELAY
        for attempt in range(1, RETRIES + 1):
            # A retry is safe even when the failed call was committed: the
            # checks' natural keys make the second call skip them.
            try:
                return self.rpc.purchases_service.import_checks(payload)
            except RemoteError as error:
                if error.exc_type != "ServiceUnavailable" or attempt == RETRIES:
                    raise
                problem = error.value
            except RpcTimeout:
                if attempt == RETRIES:
                    raise
                problem = "no reply within the RPC timeout"
            _log.warning("batch of %d check(s) failed (attempt %d of %d), retrying in %.0f s: %s",
                         len(payload), attempt, RETRIES, delay, problem)
            time.sleep(delay)
            delay *= 2
