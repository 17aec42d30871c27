"""SSH host keys: OpenSSH ``known_hosts`` files read, checked and appended to, as ``ssh`` does.

A host is looked up as OpenSSH names it (``host``, or ``[host]:port`` off port 22) in the user
file and the system file: plain, comma-separated, wildcard (``*``, ``?``, ``!negated``) and
hashed (``|1|...``) names, ``@revoked`` keys. Unknown hosts are recorded in the user file under
a lock (threads and processes may record at once: reload, then append). Imported only when a
connection is opened (it loads paramiko).
"""

from __future__ import annotations

import base64
import fcntl
import hashlib
import hmac
import os
import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import paramiko

from kamal_tasks.errors import HostKeyChanged, HostKeyUnknown

ACCEPT_NEW, ALWAYS, NEVER = "accept_new", "always", "never"
POLICIES = (ACCEPT_NEW, ALWAYS, NEVER)
USER_FILE = "~/.ssh/known_hosts"
SYSTEM_FILE = "/etc/ssh/ssh_known_hosts"
#: Which known key type paramiko should ask for first (it negotiates the first it knows).
PREFERRED_TYPES = ("ssh-ed25519", "ecdsa-sha2-nistp256", "ecdsa-sha2-nistp384",
                   "ecdsa-sha2-nistp521", "ssh-rsa")  # fmt: skip

_record_lock = threading.Lock()


def entry_name(host: str, port: int) -> str:
    """How known_hosts names a host: ``host`` on port 22, else ``[host]:port``."""
    host = host.lower()
    return host if port == 22 else f"[{host}]:{port}"


def fingerprint(key: paramiko.PKey) -> str:
    """OpenSSH's ``SHA256:...`` fingerprint of a key."""
    digest = hashlib.sha256(key.asbytes()).digest()
    return "SHA256:" + base64.b64encode(digest).decode().rstrip("=")


def display(path: Path) -> str:
    home = str(Path.home())
    text = str(path)
    return "~" + text[len(home) :] if text.startswith(home + "/") else text


@dataclass(frozen=True)
class KnownKey:
    """One key line of a known_hosts file."""

    patterns: tuple[str, ...]
    key: Any  # paramiko.PKey
    file: Path
    revoked: bool = False

    def matches(self, name: str) -> bool:
        """Whether this line's host patterns match ``name`` (OpenSSH's rules)."""
        matched = False
        for pattern in self.patterns:
            negated = pattern.startswith("!")
            if _pattern_matches(pattern.removeprefix("!"), name):
                if negated:
                    return False
                matched = True
        return matched


def _pattern_matches(pattern: str, name: str) -> bool:
    if pattern.startswith("|1|"):
        try:
            _, _, salt, digest = pattern.split("|")
            mac = hmac.new(base64.b64decode(salt), name.encode(), hashlib.sha1).digest()
            return hmac.compare_digest(mac, base64.b64decode(digest))
        except (ValueError, TypeError):
            return False
    if "*" not in pattern and "?" not in pattern:
        return pattern.lower() == name
    regex = "".join(
        ".*" if char == "*" else "." if char == "?" else re.escape(char) for char in pattern
    )
    return re.fullmatch(regex, name, flags=re.IGNORECASE) is not None


def parse_line(line: str, file: Path, name: str | None = None) -> KnownKey | None:
    """A known_hosts line as a ``KnownKey``; None for comments, blanks, CA and unreadable lines
    (and, given ``name``, lines for other hosts: their keys are not even decoded)."""
    fields = line.split()
    if not fields or fields[0].startswith("#"):
        return None
    revoked = fields[0] == "@revoked"
    if fields[0].startswith("@"):
        if not revoked:
            return None  # @cert-authority: certificates are not used here
        fields = fields[1:]
    if len(fields) < 3:
        return None
    patterns = tuple(fields[0].split(","))
    if name is not None and not KnownKey(patterns, None, file).matches(name):
        return None
    try:
        key = paramiko.PKey.from_type_string(fields[1], base64.b64decode(fields[2]))
    except Exception:  # noqa: BLE001 - a line paramiko cannot read is skipped, as ssh does
        return None
    return KnownKey(patterns, key, file, revoked)


def read_keys(path: Path, name: str | None = None) -> list[KnownKey]:
    """Every readable key line of ``path`` (for ``name`` only, if given); none if no file."""
    try:
        text = path.read_bytes().decode(errors="replace")
    except OSError:
        return []
    return [key for line in text.splitlines() if (key := parse_line(line, path, name))]


@dataclass
class KnownHosts:
    """The known_hosts files of one run and the policy for hosts that are not in them."""

    policy: str = ACCEPT_NEW
    user_file: Path = field(default_factory=lambda: Path(USER_FILE).expanduser())
    system_file: Path | None = Path(SYSTEM_FILE)
    #: Called with (host, line) after a new host was recorded.
    on_record: Callable[[str, str], None] | None = None
    #: Called with a message when a new host could not be recorded (it is accepted, as by ssh).
    on_warning: Callable[[str], None] | None = None

    def keys_for(self, name: str) -> list[KnownKey]:
        """The keys known for ``name`` (system file first), revoked ones included."""
        files = [self.system_file, self.user_file] if self.system_file else [self.user_file]
        return [key for path in files for key in read_keys(path, name.lower())]

    def prepare(self, client: paramiko.SSHClient, host: str, port: int) -> None:
        """Give ``client`` the keys known for ``host`` and the policy for an unknown one.

        paramiko then asks the server for a known key type first, and refuses a different key
        (``BadHostKeyException``) before authenticating.
        """
        client.set_missing_host_key_policy(_Policy(self, host, port))
        if self.policy == NEVER:
            return
        name = entry_name(host, port)
        known = self.keys_for(name)
        revoked = [k.key for k in known if k.revoked]
        wanted = [k.key for k in known if not k.revoked and not _among(k.key, revoked)]
        wanted.sort(key=_type_rank)
        for key in wanted:
            client.get_host_keys().add(_paramiko_name(host, port), key.get_name(), key)

    def changed(self, host: str, port: int, offered: paramiko.PKey) -> HostKeyChanged:
        """The error for ``host`` offering ``offered`` where another key is known."""
        name = entry_name(host, port)
        known = [key for key in self.keys_for(name) if not key.revoked]
        file = known[0].file if known else self.user_file
        return HostKeyChanged(host, name, _describe(offered), file, self.user_file)

    def check_new(self, host: str, port: int, offered: paramiko.PKey) -> None:
        """Accept an unknown host per the policy (recording it), or raise why not."""
        if self.policy == NEVER or not self._to_record(host, port, offered):
            return
        line = f"{entry_name(host, port)} {offered.get_name()} {offered.get_base64()}\n"
        try:
            with _record_lock, _locked(self.user_file) as handle:
                if not self._to_record(host, port, offered):
                    return  # recorded meanwhile (by another thread or process)
                _append(handle, line)
        except OSError as error:
            if self.on_warning:
                self.on_warning(f"could not add {host}'s host key to {self.user_file}: {error}")
            return
        if self.on_record:
            self.on_record(host, line.strip())

    def _to_record(self, host: str, port: int, offered: paramiko.PKey) -> bool:
        """Whether ``offered`` is new for ``host``: False if known; raises if refused."""
        known = self.keys_for(entry_name(host, port))
        if _among(offered, [k.key for k in known if k.revoked]):
            raise self.changed(host, port, offered)
        current = [k.key for k in known if not k.revoked]
        if _among(offered, current):
            return False
        if current:
            raise self.changed(host, port, offered)
        if self.policy != ACCEPT_NEW:
            raise HostKeyUnknown(host, port, _describe(offered), self.user_file)
        return True


def _type_rank(key: paramiko.PKey) -> int:
    name = key.get_name()
    return PREFERRED_TYPES.index(name) if name in PREFERRED_TYPES else len(PREFERRED_TYPES)


def _paramiko_name(host: str, port: int) -> str:
    return host if port == 22 else f"[{host}]:{port}"


def _same(one: paramiko.PKey, other: paramiko.PKey) -> bool:
    return bool(one.asbytes() == other.asbytes())


def _among(key: paramiko.PKey, keys: list[paramiko.PKey]) -> bool:
    return any(_same(key, other) for other in keys)


def _describe(key: paramiko.PKey) -> str:
    return f"{key.get_name()} {fingerprint(key)}"


#: How long to wait for another program's lock on the user known_hosts file.
LOCK_WAIT_SECONDS = 5


class _locked:
    """The user file opened for appending (created 0600, its directory 0700), flock'ed."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def __enter__(self) -> int:
        self.path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        self.fd = os.open(self.path, os.O_RDWR | os.O_APPEND | os.O_CREAT, 0o600)
        deadline = time.monotonic() + LOCK_WAIT_SECONDS
        while True:  # bounded: another program holding the file must not stall connects
            try:
                fcntl.flock(self.fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                return self.fd
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    os.close(self.fd)
                    raise OSError(f"{self.path} stayed locked by another program") from None
                time.sleep(0.05)

    def __exit__(self, *exc_info: Any) -> None:
        fcntl.flock(self.fd, fcntl.LOCK_UN)
        os.close(self.fd)


def _append(fd: int, line: str) -> None:
    size = os.fstat(fd).st_size
    if size and os.pread(fd, 1, size - 1) != b"\n":
        line = "\n" + line
    os.write(fd, line.encode())
    os.fsync(fd)


class _Policy(paramiko.MissingHostKeyPolicy):
    """paramiko's hook for a host with no known key: ``KnownHosts.check_new``."""

    def __init__(self, known_hosts: KnownHosts, host: str, port: int) -> None:
        self.known_hosts, self.host, self.port = known_hosts, host, port

    def missing_host_key(self, client: Any, hostname: str, key: paramiko.PKey) -> None:
        self.known_hosts.check_new(self.host, self.port, key)
