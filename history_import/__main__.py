"""Command line: python -m history_import FILE --format cdnow|csv [--strict] [--batch-size N]."""
import warnings

# eventlet 0.41 warns at import that it is deprecated; Nameko 2.x needs it.
warnings.filterwarnings("ignore", message=r"\s*Eventlet is deprecated")

import eventlet  # noqa: E402

eventlet.monkey_patch()

import argparse  # noqa: E402
import logging  # noqa: E402
import os  # noqa: E402
import sys  # noqa: E402
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError  # noqa: E402

from nameko.exceptions import RemoteError, RpcTimeout, UnknownService  # noqa: E402
from nameko.standalone.rpc import ClusterRpcProxy  # noqa: E402
from tqdm import tqdm  # noqa: E402

from history_import.importer import Importer, StrictModeStop  # noqa: E402
from history_import.readers import READERS  # noqa: E402
from service_support.broker_check import check_broker  # noqa: E402

DEFAULT_AMQP_URI = "amqp://guest:guest@127.0.0.1:5672/"


def parse_arguments(argv):
    parser = argparse.ArgumentParser(
        prog="python -m history_import",
        description="Import historical checks from FILE into a running stack through purchases_service.",
    )
    parser.add_argument("file", help="path of the file to import")
    parser.add_argument("--format", required=True, choices=sorted(READERS), help="format of FILE")
    parser.add_argument("--strict", action="store_true", help="stop at the first malformed row")
    parser.add_argument("--batch-size", type=int, default=1000, metavar="N",
                        help="checks per import_checks call, 1 to 5000 (default: 1000)")
    parser.add_argument("--timezone", default=os.environ.get("BUSINESS_TIMEZONE", "UTC"),
                        help="time zone of dates and of times without an offset "
                             "(default: BUSINESS_TIMEZONE, else UTC)")
    parser.add_argument("--timeout", type=float, default=120.0,
                        help="seconds to wait for one batch to be stored (default: 120)")
    arguments = parser.parse_args(argv)
    if not 1 <= arguments.batch_size <= 5000:
        parser.error("--batch-size must be from 1 to 5000")
    try:
        arguments.zone = ZoneInfo(arguments.timezone)
    except (ZoneInfoNotFoundError, ValueError):
        parser.error(f"--timezone {arguments.timezone!r} is not a known IANA time zone")
    if not os.path.isfile(arguments.file):
        parser.error(f"{arguments.file} is not a file")
    return arguments


def count_lines(path):
    with open(path, "rb") as source:
        return sum(1 for _ in source)


def main(argv=None):
    arguments = parse_arguments(argv)
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    amqp_uri = os.environ.get("AMQP_URI", DEFAULT_AMQP_URI)
    problem = check_broker(amqp_uri)
    if problem:
        print(problem, file=sys.stderr)
        return 1

    rows = READERS[arguments.format](arguments.file, arguments.zone)
    bar = tqdm(total=count_lines(arguments.file), unit=" rows", unit_scale=True, dynamic_ncols=True,
               desc=os.path.basename(arguments.file), mininterval=0.5)

    def report_row(line_no, reason):
        bar.write(f"{arguments.file}:{line_no}: skipped: {reason}", file=sys.stderr)

    try:
        with ClusterRpcProxy({"AMQP_URI": amqp_uri}, timeout=arguments.timeout) as rpc:
            importer = Importer(rpc, arguments.format, arguments.batch_size, arguments.strict,
                                report_row, bar.update)
            summary = importer.run(rows)
    except StrictModeStop as stop:
        bar.close()
        print(f"stopped at the first malformed row (--strict): {stop}", file=sys.stderr)
        print("\n".join(importer.summary.lines()))
        return 1
    except (RemoteError, RpcTimeout, UnknownService) as error:
        bar.close()
        print(f"import failed: {type(error).__name__}: {error}. Checks imported so far are kept; "
              "run the same command again to finish the job.", file=sys.stderr)
        return 1
    bar.total = bar.n  # a header line is not a row
    bar.close()

    print("\n".join(summary.lines()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
