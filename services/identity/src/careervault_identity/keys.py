"""The local issuer's RS256 signing keys, kept in the data dir, and the JWKS they publish.

Files in `$CAREERVAULT_DATA_DIR/identity/`:

- `signing-key.pem` (0600): the current key. Each key's `kid` is its RFC 7638 thumbprint.
- `signing-key.next.pem` (0600): the next key, while a rotation is pending.
- `keys.json`: the ring's public state: for the current, next and previous keys, their public
  JWK, when each was published, when it starts (started) signing, and for a previous key when
  it leaves the JWKS. Previous keys keep no private half: they never sign again.
- `jwks.json`: what verifiers read (Envoy, every service): current, next, then previous keys.
- `keys.lock`: an advisory lock; replicas sharing the directory change the ring one at a time.

Rotation (`KeyRing.rotate()`, or by age with CAREERVAULT_KEY_ROTATION_DAYS) publishes a new
key at once and lets it sign only `publish_lead` seconds later, so that every verifier has
seen it by then: the services' verifier refetches the JWKS when it meets an unknown `kid` (at
most every 10 s) and after its cache time (CAREERVAULT_JWKS_CACHE_SECONDS, 300 s), so the
lead must exceed that (default 600 s). Which key signs is decided by the clock, not by a file
move, so every replica switches at the same moment; the files catch up at the next
`maintain()`. The replaced key stays published for `retention` seconds after it stopped
signing (the longest token lifetime plus a margin), so tokens it signed stay valid until they
expire.

Envoy's `jwt_authn` reads the local `jwks.json` once, at start (see gateway/README.md). After
a rotation, Envoy must be restarted (or its configuration reloaded) within the publish lead,
or else it refuses the new key's tokens with 401 until it is; alternatively, choose a lead at
least as long as the interval at which Envoy is restarted anyway.

Every write is atomic (a temporary file, then `os.replace`); the JWKS is always written before
the manifest that lets a key sign, so no key signs before it is published.
"""

from __future__ import annotations

import base64
import contextlib
import fcntl
import hashlib
import json
import logging
import os
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

log = logging.getLogger(__name__)

CURRENT_FILE = "signing-key.pem"
NEXT_FILE = "signing-key.next.pem"
MANIFEST_FILE = "keys.json"
JWKS_FILE = "jwks.json"
LOCK_FILE = "keys.lock"
MANIFEST_VERSION = 1
DEFAULT_PUBLISH_LEAD = 600.0
DEFAULT_RETENTION = 3600.0 + 300.0
# A process rereads keys.json (if it changed) at most this often.
RELOAD_INTERVAL = 1.0


def _b64(n: int) -> str:
    raw = n.to_bytes((n.bit_length() + 7) // 8, "big")
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


class SigningKey:
    def __init__(self, private_pem: bytes) -> None:
        key = serialization.load_pem_private_key(private_pem, password=None)
        if not isinstance(key, rsa.RSAPrivateKey):
            raise ValueError("signing key must be RSA")
        self.private_pem = private_pem
        numbers = key.public_key().public_numbers()
        self.n, self.e = _b64(numbers.n), _b64(numbers.e)
        thumb = json.dumps({"e": self.e, "kty": "RSA", "n": self.n}, separators=(",", ":"))
        self.kid = (
            base64.urlsafe_b64encode(hashlib.sha256(thumb.encode()).digest()).rstrip(b"=").decode()
        )

    def jwk(self) -> dict[str, Any]:
        return {
            "kty": "RSA",
            "kid": self.kid,
            "use": "sig",
            "alg": "RS256",
            "n": self.n,
            "e": self.e,
        }

    @classmethod
    def generate(cls) -> SigningKey:
        key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        return cls(
            key.private_bytes(
                serialization.Encoding.PEM,
                serialization.PrivateFormat.PKCS8,
                serialization.NoEncryption(),
            )
        )

    @classmethod
    def load_or_create(cls, directory: Path) -> SigningKey:
        """The key that signs now; creates the ring (and jwks.json) on first use."""
        return KeyRing(directory).active()


@dataclass(frozen=True, eq=False)
class KeyEntry:
    """One published key, as the manifest records it."""

    kid: str
    jwk: dict[str, Any] = field(repr=False)
    publish_time: float
    activate_time: float  # signs from then (until the next key's activate_time)
    drop_time: float | None = None  # previous keys: leaves the JWKS then

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "kid": self.kid,
            "publish_time": self.publish_time,
            "activate_time": self.activate_time,
            "jwk": self.jwk,
        }
        if self.drop_time is not None:
            data["drop_time"] = self.drop_time
        return data

    @classmethod
    def from_json(cls, data: Any) -> KeyEntry:
        if not isinstance(data, dict) or not isinstance(data.get("jwk"), dict):
            raise ValueError("bad key entry")
        drop = data.get("drop_time")
        return cls(
            kid=str(data["kid"]),
            jwk={str(k): str(v) for k, v in data["jwk"].items()},
            publish_time=float(data["publish_time"]),
            activate_time=float(data["activate_time"]),
            drop_time=None if drop is None else float(drop),
        )

    @classmethod
    def of(cls, key: SigningKey, publish_time: float, activate_time: float) -> KeyEntry:
        return cls(key.kid, key.jwk(), publish_time, activate_time)


@dataclass(frozen=True)
class RingState:
    current: KeyEntry
    next: KeyEntry | None = None
    previous: tuple[KeyEntry, ...] = ()

    def published(self) -> list[KeyEntry]:
        """The JWKS order: current first, then next, then previous keys, newest first."""
        return [self.current, *([self.next] if self.next else []), *self.previous]

    def signer(self, now: float) -> KeyEntry:
        if self.next is not None and now >= self.next.activate_time:
            return self.next
        return self.current

    def retire_current(self, drop_time: float) -> tuple[KeyEntry, ...]:
        return (replace(self.current, drop_time=drop_time), *self.previous)

    def to_json(self) -> dict[str, Any]:
        return {
            "version": MANIFEST_VERSION,
            "current": self.current.to_json(),
            "next": self.next.to_json() if self.next else None,
            "previous": [p.to_json() for p in self.previous],
        }

    @classmethod
    def from_json(cls, data: Any) -> RingState:
        if not isinstance(data, dict) or data.get("version") != MANIFEST_VERSION:
            raise ValueError("unknown manifest version")
        nxt = data.get("next")
        previous = data.get("previous") or []
        if not isinstance(previous, list):
            raise ValueError("bad previous keys")
        return cls(
            current=KeyEntry.from_json(data.get("current")),
            next=None if nxt is None else KeyEntry.from_json(nxt),
            previous=tuple(KeyEntry.from_json(p) for p in previous),
        )


def _write_private(path: Path, key: SigningKey) -> None:
    tmp = path.with_name(f"{path.name}.{os.getpid()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as f:
        f.write(key.private_pem)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)


def _write_public(path: Path, body: str) -> bool:
    """Writes `body` atomically unless the file holds it already; True if it wrote."""
    with contextlib.suppress(OSError):
        if path.read_text() == body:
            return False
    tmp = path.with_name(f"{path.name}.{os.getpid()}.tmp")
    tmp.write_text(body)
    os.replace(tmp, path)
    return True


def _read_key(path: Path) -> SigningKey | None:
    try:
        return SigningKey(path.read_bytes())
    except FileNotFoundError:
        return None


class KeyRing:
    """The signing keys of one data dir: which key signs now, what the JWKS publishes."""

    def __init__(
        self,
        directory: Path,
        *,
        publish_lead: float = DEFAULT_PUBLISH_LEAD,
        retention: float = DEFAULT_RETENTION,
    ) -> None:
        self.directory = directory
        self.publish_lead = publish_lead
        self.retention = retention
        self._private: dict[str, SigningKey] = {}
        self._mutex = threading.RLock()
        self._stamp: tuple[int, int, int] | None = None
        self._checked = 0.0
        directory.mkdir(parents=True, exist_ok=True)
        with self._exclusive():
            self._state = self._reconcile(time.time())

    # -- reading (every process, any time) -------------------------------------------------

    def active(self, now: float | None = None) -> SigningKey:
        """The key that signs at `now`."""
        when = time.time() if now is None else now
        with self._mutex:
            self._refresh()
            state = self._state
            for entry in (state.signer(when), state.current):
                key = self._private.get(entry.kid) or self._load_private(entry.kid)
                if key is not None:
                    return key
            # The files moved under us and the manifest has not caught up: sign with a key
            # we hold that is still published.
            published = {e.kid for e in state.published()}
            for kid, key in self._private.items():
                if kid in published:
                    return key
            raise RuntimeError(f"no private key for the published keys in {self.directory}")

    def jwks(self) -> list[dict[str, Any]]:
        """The published public keys, as jwks.json lists them."""
        with self._mutex:
            self._refresh()
            return [dict(e.jwk) for e in self._state.published()]

    @property
    def state(self) -> RingState:
        with self._mutex:
            self._refresh()
            return self._state

    def _refresh(self, force: bool = False) -> None:
        """Rereads keys.json if another process (or replica) changed it."""
        now = time.monotonic()
        if not force and now - self._checked < RELOAD_INTERVAL:
            return
        self._checked = now
        try:
            st = (self.directory / MANIFEST_FILE).stat()
        except FileNotFoundError:
            return
        stamp = (st.st_ino, st.st_mtime_ns, st.st_size)
        if stamp == self._stamp:
            return
        try:
            state = RingState.from_json(json.loads((self.directory / MANIFEST_FILE).read_text()))
        except (OSError, ValueError, KeyError, TypeError):
            return  # mid-replace or damaged: keep what we have; maintain() repairs it
        self._state, self._stamp = state, stamp

    def _load_private(self, kid: str) -> SigningKey | None:
        for name in (CURRENT_FILE, NEXT_FILE):
            with contextlib.suppress(OSError, ValueError):
                key = _read_key(self.directory / name)
                if key is not None:
                    self._private.setdefault(key.kid, key)
        return self._private.get(kid)

    # -- changing (under the lock) ---------------------------------------------------------

    @contextlib.contextmanager
    def _exclusive(self) -> Iterator[None]:
        with self._mutex:
            fd = os.open(self.directory / LOCK_FILE, os.O_RDWR | os.O_CREAT, 0o600)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX)
                yield
            finally:
                os.close(fd)

    def rotate(self, now: float | None = None) -> str:
        """Publishes a new key that signs from `now + publish_lead`; returns its kid.

        If a rotation is pending already, that one stands and its kid is returned.
        """
        when = time.time() if now is None else now
        with self._exclusive():
            state = self._reconcile(when)
            if state.next is None:
                state = self._add_next(state, when)
                self._commit(state)
            self._state = state
            assert state.next is not None
            return state.next.kid

    def maintain(self, now: float | None = None, rotate_after: float | None = None) -> None:
        """Moves the ring along: the next key becomes current once it signs, previous keys
        leave the JWKS once their tokens have expired, and with `rotate_after` (seconds) a
        new key is published when the current one has signed that long."""
        when = time.time() if now is None else now
        with self._exclusive():
            state = self._reconcile(when)
            if state.next is not None and when >= state.next.activate_time:
                nxt = state.next
                os.replace(self.directory / NEXT_FILE, self.directory / CURRENT_FILE)
                state = RingState(
                    current=nxt,
                    next=None,
                    previous=state.retire_current(nxt.activate_time + self.retention),
                )
                log.info("signing key now current", extra={"kid": nxt.kid})
            kept = tuple(p for p in state.previous if p.drop_time is None or p.drop_time > when)
            if len(kept) != len(state.previous):
                for gone in {p.kid for p in state.previous} - {p.kid for p in kept}:
                    log.info("signing key retired from the JWKS", extra={"kid": gone})
                state = replace(state, previous=kept)
            if (
                rotate_after is not None
                and state.next is None
                and when - state.current.activate_time >= rotate_after
            ):
                state = self._add_next(state, when)
            self._commit(state)
            self._state = state

    def _add_next(self, state: RingState, now: float) -> RingState:
        key = SigningKey.generate()
        _write_private(self.directory / NEXT_FILE, key)
        self._private[key.kid] = key
        entry = KeyEntry.of(key, publish_time=now, activate_time=now + self.publish_lead)
        log.info(
            "signing key published",
            extra={"kid": key.kid, "signs_from": entry.activate_time},
        )
        return replace(state, next=entry)

    def _commit(self, state: RingState) -> None:
        # The JWKS first: a key must be published before the manifest lets it sign.
        jwks = json.dumps({"keys": [e.jwk for e in state.published()]}, indent=2)
        _write_public(self.directory / JWKS_FILE, jwks)
        manifest = json.dumps(state.to_json(), indent=2)
        if _write_public(self.directory / MANIFEST_FILE, manifest) or self._stamp is None:
            st = (self.directory / MANIFEST_FILE).stat()
            self._stamp = (st.st_ino, st.st_mtime_ns, st.st_size)
        self._checked = time.monotonic()

    def _reconcile(self, now: float) -> RingState:
        """The ring as the files say, repaired and written back if they disagree: a first
        start (a new key, or an existing signing-key.pem adopted), a rotation or promotion
        cut short, or a restored backup that brought back another signing-key.pem."""
        directory = self.directory
        state: RingState | None = None
        try:
            state = RingState.from_json(json.loads((directory / MANIFEST_FILE).read_text()))
        except FileNotFoundError:
            pass
        except (OSError, ValueError, KeyError, TypeError) as exc:
            log.warning("rebuilding a damaged %s: %s", MANIFEST_FILE, exc)

        current = _read_key(directory / CURRENT_FILE)
        if current is None:
            current = SigningKey.generate()
            _write_private(directory / CURRENT_FILE, current)
            log.info("signing key created", extra={"kid": current.kid})
        nxt = _read_key(directory / NEXT_FILE)
        self._private.setdefault(current.kid, current)
        if nxt is not None:
            self._private.setdefault(nxt.kid, nxt)

        if state is None:
            # First start, or a data dir from before key rotation: the key has signed since
            # the file was made.
            made = (directory / CURRENT_FILE).stat().st_mtime
            state = RingState(current=KeyEntry.of(current, made, made))
        elif state.current.kid != current.kid:
            if state.next is not None and state.next.kid == current.kid:
                # A promotion moved the file but did not get to write the manifest.
                state = RingState(
                    current=state.next,
                    previous=state.retire_current(state.next.activate_time + self.retention),
                )
            else:
                # signing-key.pem was replaced (a restore): it signs from now on, and the key
                # it replaced stays published for the tokens it signed.
                log.warning("adopting a replaced %s", CURRENT_FILE, extra={"kid": current.kid})
                state = RingState(
                    current=KeyEntry.of(current, now, now),
                    previous=state.retire_current(now + self.retention),
                )
        if state.next is not None and (nxt is None or nxt.kid != state.next.kid):
            # The next key's private half is gone: it signs nothing more, but what it may
            # have signed stays verifiable.
            lost = replace(state.next, drop_time=now + self.retention)
            state = replace(state, next=None, previous=(lost, *state.previous))
        if nxt is not None and (state.next is None or state.next.kid != nxt.kid):
            # A rotation cut short before its manifest: never signed anything.
            (directory / NEXT_FILE).unlink()
        state = replace(
            state, previous=tuple(p for p in state.previous if p.kid != state.current.kid)
        )
        self._commit(state)
        return state
