"""A real SMTP server on 127.0.0.1 (aiosmtpd) for end-to-end mail tests, with a hold on the first DATA.

Only *completed* transactions count as delivered: a message is kept once the server answered `250` to its
final dot. A transaction held open (see `hold_first_delivery`) and then dropped is recorded in `aborted`, never
in `messages` — like a real MTA, which must not deliver a message it has not acknowledged.
"""

import asyncio
import email
import email.policy
import socket
import threading

from aiosmtpd.controller import Controller


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class MailSink:
    """aiosmtpd handler keeping every delivered message; optionally holds the first DATA un-acknowledged."""

    def __init__(self, *, hold_first_delivery: bool = False):
        self.messages: list[email.message.EmailMessage] = []
        self.aborted: list[email.message.EmailMessage] = []
        self._hold = hold_first_delivery
        self.data_started = threading.Event()  # the held transaction reached DATA (its body is received)
        self.release = threading.Event()  # set by the test: answer the held transaction (with a failure)
        self.held_answered = threading.Event()

    async def handle_DATA(self, server, session, envelope):
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        if self._hold:
            self._hold = False
            self.data_started.set()
            # The reply to the final dot is withheld: the client is waiting, the message is not accepted.
            # aiosmtpd cancels this coroutine when the client's connection drops (its sender was killed).
            try:
                while not self.release.is_set():
                    await asyncio.sleep(0.05)
            finally:
                self.aborted.append(message)
                self.held_answered.set()
            return "451 Transaction aborted before it was acknowledged"
        self.messages.append(message)
        return "250 Message accepted for delivery"


class SmtpServer:
    """Start/stop an aiosmtpd server on 127.0.0.1:`port` (a port may be chosen before the server runs)."""

    def __init__(self, sink: MailSink, port: int | None = None):
        self.sink = sink
        self.port = port or free_port()
        self._controller: Controller | None = None

    @property
    def url(self) -> str:
        return f"smtp://127.0.0.1:{self.port}"

    def start(self) -> None:
        self._controller = Controller(self.sink, hostname="127.0.0.1", port=self.port)
        self._controller.start()

    def stop(self) -> None:
        if self._controller is not None:
            self.sink.release.set()  # never leave a held transaction blocking the server's loop
            self._controller.stop()
            self._controller = None
