"""Every network call fails: loaded at start-up by each Python process with this folder first on
PYTHONPATH (``tests/test_network.py`` runs qualcode so), and installed in-process by the same
test through ``install(monkeypatch.setattr)``.

Name lookups, connections and sends fail; a socket may still be made, and bound to this
machine only. A refused call raises :class:`NetworkUsed` and is also written to
``$QUALCODE_NETWORK_LOG`` (and kept in :data:`REFUSED`), so a library that catches the error
and carries on still shows. Unix sockets stay allowed: they never leave the machine.
"""

import os
import socket
import traceback

REFUSED: list[str] = []


class NetworkUsed(OSError):
    pass


def _refuse(what: str):
    stack = "".join(traceback.format_stack(limit=12)[:-1])
    REFUSED.append(f"{what}\n{stack}")
    if os.environ.get("QUALCODE_NETWORK_LOG"):
        with open(os.environ["QUALCODE_NETWORK_LOG"], "a", encoding="utf-8") as log:
            log.write(f"{what}\n{stack}\n")
    raise NetworkUsed(f"network refused by the test: {what}")


LOOPBACK = ("127.0.0.1", "::1", "localhost", "")


class GuardedSocket(socket.socket):
    """A socket that may be made and bound to this machine (spaCy's import of urllib3 probes
    for IPv6 so), but never connects or sends anywhere."""

    def _refuse_remote(self, what: str, address) -> None:
        if self.family != socket.AF_UNIX:
            _refuse(f"socket.{what}({address!r})")

    def connect(self, address):
        self._refuse_remote("connect", address)
        return super().connect(address)

    def connect_ex(self, address):
        self._refuse_remote("connect_ex", address)
        return super().connect_ex(address)

    def sendto(self, data, *args):
        self._refuse_remote("sendto", args[-1])
        return super().sendto(data, *args)

    def sendmsg(self, buffers, ancdata=(), flags=0, address=None):
        if address is not None:
            self._refuse_remote("sendmsg", address)
        return super().sendmsg(buffers, ancdata, flags, *([address] if address is not None else []))

    def bind(self, address):
        if self.family != socket.AF_UNIX and address[0] not in LOOPBACK:
            _refuse(f"socket.bind({address!r})")
        return super().bind(address)


def _refusing(name: str):
    def refused(*args, **kwargs):
        _refuse(f"socket.{name}{args!r}")
    return refused


def install(patch) -> None:
    """Make every network entry point of ``socket`` fail; ``patch(module, name, value)`` is
    ``setattr`` at start-up, ``monkeypatch.setattr`` in a test (undone after it)."""
    patch(socket, "socket", GuardedSocket)
    for name in ("create_connection", "getaddrinfo", "gethostbyname", "gethostbyname_ex", "gethostbyaddr",
                 "getnameinfo", "create_server"):
        patch(socket, name, _refusing(name))


if __name__ == "sitecustomize":
    install(setattr)
