"""SSH host keys: known_hosts files read as OpenSSH reads them, new hosts recorded safely from
many threads and processes, changed keys refused; with real paramiko keys and, for the
connection, a real SSH server (paramiko's server side, ``ssh_server.py``)."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
import threading
from pathlib import Path

import paramiko
import pytest
from ssh_server import ssh_server

from kamal_tasks.known_hosts import (
    ACCEPT_NEW,
    ALWAYS,
    NEVER,
    HostKeyChanged,
    HostKeyUnknown,
    KnownHosts,
    entry_name,
    fingerprint,
    read_keys,
)


def new_key() -> paramiko.PKey:
    return paramiko.ECDSAKey.generate()


def line(names: str, key: paramiko.PKey) -> str:
    return f"{names} {key.get_name()} {key.get_base64()}\n"


def known(tmp_path: Path, policy: str = ACCEPT_NEW, system: str = "") -> KnownHosts:
    system_file = tmp_path / "system_known_hosts"
    system_file.write_text(system)
    return KnownHosts(policy, tmp_path / "ssh" / "known_hosts", system_file)


def patterns_for(hosts: KnownHosts, name: str) -> list[tuple[str, ...]]:
    return [key.patterns for key in hosts.keys_for(name)]


# --- reading ------------------------------------------------------------------------------------


def test_entry_names_follow_openssh() -> None:
    assert entry_name("Web1.Example", 22) == "web1.example"
    assert entry_name("10.0.0.1", 2222) == "[10.0.0.1]:2222"


def test_fingerprint_is_what_ssh_keygen_prints(tmp_path: Path) -> None:
    key_file = tmp_path / "id"
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(key_file)], check=True)
    printed = subprocess.run(
        ["ssh-keygen", "-l", "-f", f"{key_file}.pub"], capture_output=True, text=True, check=True
    ).stdout.split()[1]
    assert fingerprint(paramiko.Ed25519Key.from_private_key_file(str(key_file))) == printed


def test_plain_listed_port_wildcard_and_negated_names(tmp_path: Path) -> None:
    hosts = known(tmp_path)
    hosts.user_file.parent.mkdir()
    a, b, c = new_key(), new_key(), new_key()
    hosts.user_file.write_text(
        line("web1.example,10.0.0.1", a)
        + line("[10.0.0.2]:2222", b)
        + line("*.wild.example,!bad.wild.example", c)
    )
    assert [k.key for k in hosts.keys_for("10.0.0.1")] == [a]
    assert [k.key for k in hosts.keys_for("WEB1.example")] == [a]
    assert [k.key for k in hosts.keys_for("[10.0.0.2]:2222")] == [b]
    assert hosts.keys_for("10.0.0.2") == []  # port 22 is another entry
    assert [k.key for k in hosts.keys_for("x.wild.example")] == [c]
    assert hosts.keys_for("bad.wild.example") == []
    assert hosts.keys_for("wild.example") == []


def test_names_hashed_by_ssh_keygen_are_found(tmp_path: Path) -> None:
    hosts = known(tmp_path)
    hosts.user_file.parent.mkdir()
    key = new_key()
    hosts.user_file.write_text(line("10.0.0.7", key) + line("[10.0.0.8]:2200", key))
    subprocess.run(["ssh-keygen", "-q", "-H", "-f", str(hosts.user_file)], check=True)
    assert "10.0.0.7" not in hosts.user_file.read_text()  # really hashed
    assert [k.key for k in hosts.keys_for("10.0.0.7")] == [key]
    assert [k.key for k in hosts.keys_for("[10.0.0.8]:2200")] == [key]
    assert hosts.keys_for("10.0.0.9") == []


def test_unreadable_lines_comments_and_ca_lines_are_skipped(tmp_path: Path) -> None:
    path = tmp_path / "known_hosts"
    key = new_key()
    path.write_bytes(
        b"# comment\n\n   \nonly-two fields\n"
        b"h1 ssh-ed25519 !!!not-base64!!!\n"
        b"h1 ssh-unknown-type AAAA\n"
        b"@cert-authority * " + line("", key).split(" ", 1)[1].encode() + b"\xff\xfe garbage\n"
        + line("h1", key).encode()
    )  # fmt: skip
    assert [(k.patterns, k.key) for k in read_keys(path)] == [(("h1",), key)]
    assert read_keys(tmp_path / "missing") == []


def test_the_system_file_is_read_first_and_never_written(tmp_path: Path) -> None:
    key = new_key()
    hosts = known(tmp_path, system=line("h1", key))
    hosts.check_new("h1", 22, key)
    assert not hosts.user_file.exists()
    assert [k.file for k in hosts.keys_for("h1")] == [hosts.system_file]


# --- deciding -----------------------------------------------------------------------------------


def test_a_new_host_is_recorded_in_openssh_format(tmp_path: Path) -> None:
    hosts = known(tmp_path)
    recorded: list[tuple[str, str]] = []
    hosts.on_record = lambda host, text: recorded.append((host, text))
    key = new_key()
    hosts.check_new("10.0.0.1", 2222, key)
    hosts.check_new("10.0.0.1", 2222, key)  # known now: not recorded twice
    expected = f"[10.0.0.1]:2222 {key.get_name()} {key.get_base64()}"
    assert hosts.user_file.read_text() == expected + "\n"
    assert recorded == [("10.0.0.1", expected)]
    assert stat.S_IMODE(hosts.user_file.stat().st_mode) == 0o600
    assert stat.S_IMODE(hosts.user_file.parent.stat().st_mode) == 0o700
    found = subprocess.run(
        ["ssh-keygen", "-F", "[10.0.0.1]:2222", "-f", str(hosts.user_file)],
        capture_output=True,
        text=True,
    )
    assert found.returncode == 0 and key.get_base64() in found.stdout


def test_recording_appends_after_a_last_line_without_newline(tmp_path: Path) -> None:
    hosts = known(tmp_path)
    hosts.user_file.parent.mkdir()
    old, new = new_key(), new_key()
    hosts.user_file.write_text(line("h1", old).rstrip("\n"))
    hosts.check_new("h2", 22, new)
    assert hosts.user_file.read_text() == line("h1", old) + line("h2", new)


def test_a_file_that_cannot_be_written_is_a_warning_as_in_ssh(tmp_path: Path) -> None:
    hosts = known(tmp_path)
    hosts.user_file.mkdir(parents=True)  # a directory: neither readable nor writable as a file
    warnings: list[str] = []
    hosts.on_warning = warnings.append
    hosts.check_new("h1", 22, new_key())
    assert warnings == [
        f"could not add h1's host key to {hosts.user_file}: [Errno 21] Is a directory:"
        f" '{hosts.user_file}'"
    ]


def test_a_changed_key_is_refused_naming_the_host_and_the_fix(tmp_path: Path) -> None:
    hosts = known(tmp_path)
    hosts.user_file.parent.mkdir()
    old, offered = new_key(), new_key()
    hosts.user_file.write_text(line("[10.0.0.1]:2222", old))
    with pytest.raises(HostKeyChanged) as raised:
        hosts.check_new("10.0.0.1", 2222, offered)
    assert str(raised.value) == (
        f"SSH host key of 10.0.0.1 has changed (it offered {offered.get_name()}"
        f" {fingerprint(offered)}, which does not match {hosts.user_file}): refused to connect,"
        " nothing was sent. If the server was rebuilt, remove the old key with"
        f" `ssh-keygen -R '[10.0.0.1]:2222' -f {hosts.user_file}` and retry"
    )
    assert hosts.user_file.read_text() == line("[10.0.0.1]:2222", old)


def test_the_fix_for_the_default_file_needs_no_file_name() -> None:
    default = Path("~/.ssh/known_hosts").expanduser()
    error = HostKeyChanged("web1", "web1", "ssh-ed25519 SHA256:x", default, default)
    assert "which does not match ~/.ssh/known_hosts)" in str(error)
    assert "`ssh-keygen -R web1` and retry" in str(error)


def test_a_revoked_key_is_refused(tmp_path: Path) -> None:
    key = new_key()
    hosts = known(tmp_path, system="@revoked * " + line("", key).split(" ", 1)[1])
    with pytest.raises(HostKeyChanged):
        hosts.check_new("h1", 22, key)


def test_always_refuses_an_unknown_host(tmp_path: Path) -> None:
    hosts = known(tmp_path, ALWAYS)
    key = new_key()
    with pytest.raises(HostKeyUnknown) as raised:
        hosts.check_new("10.0.0.1", 2222, key)
    assert str(raised.value) == (
        f"SSH host key of 10.0.0.1 is unknown (it offered {key.get_name()} {fingerprint(key)})"
        " and ssh/verify_host_key is always: refused to connect. Check the fingerprint and add"
        f" the key (e.g. `ssh-keyscan -p 2222 10.0.0.1 >> {hosts.user_file}`)"
    )
    assert not hosts.user_file.exists()


def test_never_accepts_anything_and_records_nothing(tmp_path: Path) -> None:
    hosts = known(tmp_path, NEVER, system=line("h1", new_key()))
    hosts.check_new("h1", 22, new_key())
    assert not hosts.user_file.exists()


# --- many at once -------------------------------------------------------------------------------


def test_threads_recording_at_once_lose_nothing(tmp_path: Path) -> None:
    hosts = known(tmp_path)
    keys = {f"10.1.0.{n}": new_key() for n in range(40)}
    shared = new_key()
    errors: list[BaseException] = []
    barrier = threading.Barrier(48)

    def record(host: str, key: paramiko.PKey) -> None:
        barrier.wait()
        try:
            hosts.check_new(host, 22, key)
        except BaseException as error:  # noqa: BLE001
            errors.append(error)

    jobs = [*keys.items(), *[("10.1.1.1", shared)] * 8]
    threads = [threading.Thread(target=record, args=job) for job in jobs]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    lines = hosts.user_file.read_text().splitlines()
    wanted = [*keys.items(), ("10.1.1.1", shared)]
    assert sorted(lines) == sorted(line(host, key).strip() for host, key in wanted)


RECORDER = """
import sys
from pathlib import Path
import paramiko
from kamal_tasks.known_hosts import KnownHosts
hosts = KnownHosts("accept_new", Path(sys.argv[1]), None)
for n in range(15):
    hosts.check_new(f"10.2.{sys.argv[2]}.{n}", 22, paramiko.ECDSAKey.generate())
"""


def test_processes_recording_at_once_lose_nothing(tmp_path: Path) -> None:
    path = tmp_path / "known_hosts"
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1])}
    processes = [
        subprocess.Popen([sys.executable, "-c", RECORDER, str(path), str(n)], env=env)
        for n in range(4)
    ]
    assert [process.wait(timeout=60) for process in processes] == [0] * 4
    names = sorted(entry.patterns[0] for entry in read_keys(path))
    assert names == sorted(f"10.2.{p}.{n}" for p in range(4) for n in range(15))
    assert len(path.read_text().splitlines()) == 60


# --- with a real SSH server ---------------------------------------------------------------------


@pytest.fixture
def client_key(tmp_path: Path) -> Path:
    path = tmp_path / "id_client"
    paramiko.ECDSAKey.generate().write_private_key_file(str(path))
    return path


def runner_for(port: int, client_key: Path, tmp_path: Path, **ssh: object):  # noqa: ANN201
    import io

    import invoke

    from kamal_tasks.configuration.ssh import Ssh
    from kamal_tasks.configuration.sshkit import Sshkit
    from kamal_tasks.output import NORMAL, Output
    from kamal_tasks.ssh import SshRunner

    settings = {
        "port": port,
        "keys": (str(client_key),),
        "keys_only": True,
        "user_known_hosts_file": str(tmp_path / "ssh" / "known_hosts"),
        "global_known_hosts_file": str(tmp_path / "system_known_hosts"),
        **ssh,
    }
    errors = io.StringIO()
    runner = SshRunner(Ssh(**settings), Sshkit(), invoke.Context(), Output(NORMAL, errors=errors))
    return runner, errors


def test_a_new_server_is_recorded_and_then_trusted(tmp_path: Path, client_key: Path) -> None:
    with ssh_server() as server:
        runner, errors = runner_for(server.port, client_key, tmp_path)
        with runner:
            assert runner.host("127.0.0.1").run("echo hi").stdout == "ran: echo hi\n"
        user_file = tmp_path / "ssh" / "known_hosts"
        assert user_file.read_text() == line(f"[127.0.0.1]:{server.port}", server.host_key)
        assert errors.getvalue() == f"  [127.0.0.1] added its host key to {user_file}\n"
        again, _ = runner_for(server.port, client_key, tmp_path, verify_host_key=ALWAYS)
        with again:
            assert again.host("127.0.0.1").run("echo again").ok
        assert server.recorded.commands == ["echo hi", "echo again"]


def test_a_changed_server_key_is_refused_before_auth_and_commands(
    tmp_path: Path, client_key: Path
) -> None:
    user_file = tmp_path / "ssh" / "known_hosts"
    with ssh_server() as server:
        user_file.parent.mkdir()
        user_file.write_text(line(f"[127.0.0.1]:{server.port}", new_key()))
        runner, _ = runner_for(server.port, client_key, tmp_path)
        with runner, pytest.raises(HostKeyChanged) as raised:
            runner.host("127.0.0.1").upload("SECRET=1", "/tmp/secret.env", shown="[REDACTED]")
        assert "SSH host key of 127.0.0.1 has changed" in str(raised.value)
        assert f"ssh-keygen -R '[127.0.0.1]:{server.port}'" in str(raised.value)
        assert server.recorded.auth_attempts == []
        assert server.recorded.commands == []


def test_a_changed_key_in_the_system_file_is_refused(tmp_path: Path, client_key: Path) -> None:
    with ssh_server() as server:
        system = tmp_path / "system_known_hosts"
        system.write_text(line(f"[127.0.0.1]:{server.port}", new_key()))
        runner, _ = runner_for(server.port, client_key, tmp_path)
        with runner, pytest.raises(HostKeyChanged, match=f"-f {system}"):
            runner.host("127.0.0.1").run("true")
        assert server.recorded.auth_attempts == []


def test_a_known_key_of_another_type_is_asked_for_first(tmp_path: Path, client_key: Path) -> None:
    """The server has two host keys; only the RSA one is known: paramiko must negotiate RSA."""
    ecdsa, rsa = paramiko.ECDSAKey.generate(), paramiko.RSAKey.generate(2048)
    with ssh_server(ecdsa, rsa) as server:
        user_file = tmp_path / "ssh" / "known_hosts"
        user_file.parent.mkdir()
        user_file.write_text(line(f"[127.0.0.1]:{server.port}", rsa))
        runner, _ = runner_for(server.port, client_key, tmp_path, verify_host_key=ALWAYS)
        with runner:
            assert runner.host("127.0.0.1").run("true").ok


def test_always_refuses_an_unknown_server(tmp_path: Path, client_key: Path) -> None:
    with ssh_server() as server:
        runner, _ = runner_for(server.port, client_key, tmp_path, verify_host_key=ALWAYS)
        with runner, pytest.raises(HostKeyUnknown):
            runner.host("127.0.0.1").run("true")
        assert server.recorded.auth_attempts == []
        assert not (tmp_path / "ssh" / "known_hosts").exists()


def test_never_connects_despite_a_changed_key_and_warns(tmp_path: Path, client_key: Path) -> None:
    with ssh_server() as server:
        user_file = tmp_path / "ssh" / "known_hosts"
        user_file.parent.mkdir()
        user_file.write_text(line(f"[127.0.0.1]:{server.port}", new_key()))
        runner, errors = runner_for(server.port, client_key, tmp_path, verify_host_key=NEVER)
        with runner:
            assert runner.host("127.0.0.1").run("true").ok
        assert errors.getvalue() == (
            "WARNING: ssh/verify_host_key is never: SSH host keys are not checked\n"
        )


def test_a_user_file_locked_by_another_program_is_waited_for_within_a_bound(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import fcntl
    import os
    import time

    from kamal_tasks import known_hosts as module

    monkeypatch.setattr(module, "LOCK_WAIT_SECONDS", 0.3)
    hosts = known(tmp_path)
    warnings: list[str] = []
    hosts.on_warning = warnings.append
    hosts.user_file.parent.mkdir(parents=True)
    fd = os.open(hosts.user_file, os.O_RDWR | os.O_CREAT, 0o600)
    fcntl.flock(fd, fcntl.LOCK_EX)
    try:
        started = time.monotonic()
        hosts.check_new("h1", 22, new_key())  # goes ahead, unrecorded, with a warning
        assert time.monotonic() - started < 2
    finally:
        os.close(fd)
    assert len(warnings) == 1 and "stayed locked by another program" in warnings[0]
