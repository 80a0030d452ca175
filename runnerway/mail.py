"""The terminal mail of the embedded mode (EMAIL_URL=consolemail://): each mail as its recipient would read it.

Django's console backend prints the raw MIME message (headers, the text part, the HTML part, encoded), ~60 lines
in which a runner trying `make run` has to find a six-digit login code. This one prints the recipient, the
subject and the text part, and puts any login code in a box of its own.
"""

import re
import sys
import threading

from django.core.mail.backends.base import BaseEmailBackend

# A login code as the mails write it: six digits standing alone (accounts.otp.OTP_DIGITS).
LOGIN_CODE = re.compile(r"(?<!\d)\d{6}(?!\d)")
WIDTH = 72


def mail_as_text(message, *, highlight: bool = False) -> str:
    """The terminal rendering of one EmailMessage: a box with the login code (when the text has one), then who it
    is for, the subject and the text body. `highlight` adds ANSI bold/reverse for a terminal."""
    body = message.body or ""
    lines = []
    code_match = LOGIN_CODE.search(body)
    if code_match:
        code = code_match.group()
        label = f"  LOGIN CODE  {code}   for {', '.join(message.to)}  "
        shown = f"\x1b[1;7m{label}\x1b[0m" if highlight else label
        lines += ["╔" + "═" * len(label) + "╗", f"║{shown}║", "╚" + "═" * len(label) + "╝"]
    lines.append(f"── mail to {', '.join(message.to)} " + "─" * max(0, WIDTH - 12 - len(", ".join(message.to))))
    lines.append(f"│ Subject: {message.subject}")
    lines.append("│")
    lines += [f"│ {line}".rstrip() for line in body.strip("\n").splitlines()]
    lines.append("─" * WIDTH)
    return "\n".join(lines) + "\n"


class ConsoleEmailBackend(BaseEmailBackend):
    def __init__(self, *args, stream=None, **kwargs):
        self.stream = stream or sys.stdout
        self._lock = threading.RLock()
        super().__init__(*args, **kwargs)

    def send_messages(self, email_messages):
        if not email_messages:
            return 0
        highlight = getattr(self.stream, "isatty", lambda: False)()
        with self._lock:
            for message in email_messages:
                self.stream.write(mail_as_text(message, highlight=highlight))
            self.stream.flush()
        return len(email_messages)
