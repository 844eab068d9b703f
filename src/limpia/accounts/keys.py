"""API token keys: random, shown once, kept only as a SHA-256 digest.

A key is 160 random bits, so a plain (unsalted) SHA-256 of it cannot be reversed or guessed;
the first characters are kept in clear to recognise a token in lists.
"""

import hashlib
import hmac
import secrets

PREFIX_LENGTH = 8


def new_key() -> str:
    return secrets.token_hex(20)  # 40 hexadecimal characters


def key_digest(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def key_prefix(key: str) -> str:
    return key[:PREFIX_LENGTH]


def digests_match(stored: str, presented: str) -> bool:
    return hmac.compare_digest(stored, presented)
