"""The embedded broker: kombu's filesystem transport, with each message whole before a
consumer can see it.

kombu creates a message's file, then writes it. A worker that lists the folder in between
(every 0.2 s here) takes the empty file, fails to decode it and stops: seen under load, with
`make run` seeding the demo while the worker started. Here a message is written under a
name no consumer reads (".partial" after the queue's ".msg"), then renamed into place; a
rename within one folder is atomic, so a file with the queue's name is always complete.
"""

import os
import uuid
from time import monotonic

from kombu.exceptions import ChannelError
from kombu.transport import TRANSPORT_ALIASES, filesystem
from kombu.utils.encoding import str_to_bytes
from kombu.utils.json import dumps


class Channel(filesystem.Channel):
    def _put(self, queue, payload, **kwargs):
        """Put `payload` onto `queue`: written whole, then renamed into the queue's name."""
        name = f"{int(round(monotonic() * 1000))}_{uuid.uuid4()}.{queue}.msg"
        path = os.path.join(self.data_folder_out, name)
        partial = f"{path}.partial"
        try:
            with open(partial, "wb") as file:
                file.write(str_to_bytes(dumps(payload)))
            os.replace(partial, path)
        except OSError as exc:
            raise ChannelError(f"Cannot add file {path!r} to directory") from exc


class Transport(filesystem.Transport):
    Channel = Channel


def use_for_filesystem_urls() -> None:
    """"filesystem://" brokers (web, worker and beat alike) use this transport."""
    TRANSPORT_ALIASES["filesystem"] = f"{__name__}:Transport"
