"""Tests of the gateway's logging configuration."""

import logging

from gateway.logging_config import RepeatFilter


def make_record(name, message, *args):
    return logging.LogRecord(name, logging.WARNING, __file__, 1, message, args, None)


def test_repeat_filter_drops_repeats_within_interval():
    throttle = RepeatFilter(prefixes=("aiormq",), interval=60)

    passed = [
        throttle.filter(make_record("aiormq.connection", "connect failed: %r", attempt))
        for attempt in range(5)
    ]

    assert passed == [True, False, False, False, False]


def test_repeat_filter_reports_dropped_count_after_interval():
    throttle = RepeatFilter(prefixes=("aiormq",), interval=0)
    throttle.filter(make_record("aiormq.connection", "connect failed"))
    throttle.interval = 60
    throttle.filter(make_record("aiormq.connection", "connect failed"))
    throttle.filter(make_record("aiormq.connection", "connect failed"))
    throttle.interval = 0
    record = make_record("aiormq.connection", "connect failed")

    passed = throttle.filter(record)

    assert passed is True
    assert record.getMessage() == "connect failed [dropped 2 similar records since the previous one]"


def test_repeat_filter_passes_other_loggers_and_messages():
    throttle = RepeatFilter(prefixes=("aiormq",), interval=60)
    throttle.filter(make_record("aiormq.connection", "connect failed"))

    other_message = throttle.filter(make_record("aiormq.connection", "channel closed"))
    other_logger = [throttle.filter(make_record("gateway.errors", "rejected")) for _ in range(3)]

    assert other_message is True
    assert other_logger == [True, True, True]
