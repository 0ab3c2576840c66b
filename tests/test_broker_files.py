"""The embedded broker never hands a worker a message still being written
(config/broker_files.py): a consumer reads as fast as it can while another thread puts
large messages; every message it gets decodes whole."""

import threading
from queue import Empty

from kombu import Connection

from config.broker_files import Transport

MESSAGES = 300


def test_the_filesystem_urls_use_the_transport_that_writes_messages_whole():
    with Connection("filesystem://localhost/") as connection:
        assert isinstance(connection.transport, Transport)


def test_a_consumer_never_gets_a_partial_message(tmp_path):
    options = {"data_folder_in": str(tmp_path), "data_folder_out": str(tmp_path)}
    body = "x" * 200_000  # written in several system calls: long enough to be caught halfway
    with Connection("filesystem://", transport_options=options) as producer, \
            Connection("filesystem://", transport_options=options) as consumer:
        putting = producer.default_channel
        getting = consumer.default_channel

        def put_all():
            for number in range(MESSAGES):
                putting._put("q", {"number": number, "body": body})

        thread = threading.Thread(target=put_all)
        thread.start()
        got = []
        for _attempt in range(MESSAGES * 1000):  # a bound, not a wait: the reads loop until all are in
            if len(got) == MESSAGES:
                break
            try:
                message = getting._get("q")
            except Empty:  # anything else (a message that does not decode) fails the test
                continue
            assert message["body"] == body
            got.append(message["number"])
        thread.join()
    assert sorted(got) == list(range(MESSAGES))
