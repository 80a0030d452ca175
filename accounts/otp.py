"""Email login codes: generation, keyed hashing, and the encrypted hand-over to the mail task.

Why the code is encrypted on its row (and not passed to the task):
django-q2 stores a task's arguments in clear — in the queue row while it waits, and in the saved Task
result afterwards — so a code passed as an argument would sit readable in the database (and in the admin)
long after it was sent. The task therefore takes only the EmailOTP id; the row carries the code
Fernet-encrypted (AES-128-CBC + HMAC) under a key derived from SECRET_KEY, and the task empties that
column once the mail is out. At rest there is then only the HMAC for checking a typed code; neither column
can be used without SECRET_KEY. (`django.core.signing` would only sign, not hide, the code.)
"""

import base64
import hmac
import secrets
from datetime import timedelta

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings
from django.utils.crypto import salted_hmac

OTP_DIGITS = 6
OTP_LIFETIME = timedelta(minutes=5)
# Wrong codes are counted over this window (and since the email's last successful code login), across all the
# codes the email requested, so a new code does not buy more guesses. The limits per email and client address and
# per email are settings (OTP_MAX_FAILURES_PER_ADDRESS, OTP_MAX_FAILURES_PER_EMAIL); a person who mistyped too
# often waits at most this long, or types the code from another network.
OTP_FAILURE_WINDOW = timedelta(hours=1)

_HASH_SALT = "accounts.otp.code-hash"
_TRANSPORT_INFO = b"runnerway accounts.otp transport key v1"


def otp_generate_code() -> str:
    """Six uniformly random digits from the OS CSPRNG."""
    return f"{secrets.randbelow(10**OTP_DIGITS):0{OTP_DIGITS}d}"


def otp_hash_code(*, email: str, code: str) -> str:
    """HMAC-SHA256 (keyed with SECRET_KEY) of the code bound to its email, as 64 hex characters.

    Binding the email means a hash copied onto another email's row matches nothing.
    """
    return salted_hmac(_HASH_SALT, f"{email}\n{code}", algorithm="sha256").hexdigest()


def otp_code_matches(*, email: str, code: str, code_hash: str) -> bool:
    return hmac.compare_digest(otp_hash_code(email=email, code=code), code_hash)


def _fernet_for(secret: str) -> Fernet:
    key = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=_TRANSPORT_INFO).derive(secret.encode())
    return Fernet(base64.urlsafe_b64encode(key))


def _transport_cipher() -> MultiFernet:
    # Fallback keys decrypt codes issued just before a SECRET_KEY rotation (they live 5 minutes at most).
    secrets_in_order = [settings.SECRET_KEY, *getattr(settings, "SECRET_KEY_FALLBACKS", [])]
    return MultiFernet([_fernet_for(secret) for secret in secrets_in_order])


def otp_encrypt_for_transport(code: str) -> str:
    return _transport_cipher().encrypt(code.encode()).decode()


def otp_decrypt_for_transport(token: str) -> str:
    """The code, or ValueError when the token was not made with our key (or was tampered with)."""
    try:
        return _transport_cipher().decrypt(token.encode()).decode()
    except InvalidToken as exc:
        raise ValueError("The OTP transport token cannot be decrypted with this SECRET_KEY.") from exc
