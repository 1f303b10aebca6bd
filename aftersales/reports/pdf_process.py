"""Every PDF is rendered in a process of its own, killed when its time is up.

WeasyPrint runs in C most of the time: a render that takes too long ignores
SIGTERM, a gunicorn worker timeout and any Python-level timer (issue 7: one
hostile paragraph held a worker for 22 minutes). So a render is never run in
the process that serves a request or runs a task. Instead:

- each process that renders (a gunicorn worker, the huey worker, a test run)
  starts, on its first PDF, one *render server*: ``python -m
  aftersales.reports.pdf_process``, which imports WeasyPrint, loads the fonts
  and renders a warm-up document, then waits;
- for each PDF, the caller makes a socket pair and hands one end to the
  server, which forks a child (cheap, with fonts and caches already warm) and
  answers with the child's pid; the caller sends the HTML over the socket and
  waits for the PDF at most ``timeout`` seconds, then SIGKILLs the child;
- the child also arms ``alarm()`` a little past the limit, so it dies even if
  the caller itself is killed first; the server ignores SIGCHLD, so the
  kernel reaps every child at once and none lingers as a zombie;
- the server is single-threaded (forking it is safe, unlike forking a
  threaded gunicorn or huey worker) and exits when its caller's end of the
  control socket closes, which happens when the caller exits, however it dies.

Nothing is shared between two renders but the server, which only forks:
requests never wait for one another's render.
"""

import contextlib
import logging
import math
import os
import select
import signal
import socket
import struct
import subprocess
import sys
import threading
import time
from pathlib import Path

logger = logging.getLogger(__name__)

# Room for the render server to start (WeasyPrint's import, the fonts, the
# warm-up render: about 2 s) before the first render's own limit applies.
START_TIMEOUT = 60
_HEADER = struct.Struct("!cQ")  # status (b"O" ok, b"E" error), length
_REQUEST = struct.Struct("!dQ")  # seconds allowed, length of the HTML


class RenderTimeout(Exception):
    """The render took longer than its limit and was killed."""

    def __init__(self, seconds: float, pid: int):
        super().__init__(f"PDF render killed after {seconds:g} s (pid {pid})")
        self.seconds = seconds
        self.pid = pid


class RenderFailed(Exception):
    """The render process failed or died; ``str()`` says how."""


class _Server:
    def __init__(self):
        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
        package_root = str(Path(__file__).resolve().parents[2])
        env = dict(os.environ)
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [package_root, env.get("PYTHONPATH")]))
        self.process = subprocess.Popen(
            [sys.executable, "-m", "aftersales.reports.pdf_process", str(theirs.fileno())],
            pass_fds=[theirs.fileno()],
            stdin=subprocess.DEVNULL,
            env=env,
            close_fds=True,
        )
        theirs.close()
        self.control = ours
        self.owner_pid = os.getpid()
        # The server writes one line when it is ready, or why it is not.
        ready, _, _ = select.select([ours], [], [], START_TIMEOUT)
        line = _read_line(ours) if ready else b""
        if line != b"ready":
            self.close()
            raise RenderFailed(
                "the PDF render server did not start: "
                + (line.decode(errors="replace") or "no answer")
            )

    def alive(self) -> bool:
        return self.owner_pid == os.getpid() and self.process.poll() is None

    def close(self) -> None:
        try:
            self.control.close()
        finally:
            if self.process.poll() is None:
                self.process.kill()
            self.process.wait()

    def fork_child(self) -> tuple[int, socket.socket]:
        """A new render child and the caller's end of its socket."""
        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            socket.send_fds(self.control, [b"F"], [theirs.fileno()])
        finally:
            theirs.close()
        ready, _, _ = select.select([ours], [], [], START_TIMEOUT)
        raw = _read_exact(ours, 8) if ready else b""
        if len(raw) != 8:
            ours.close()
            raise RenderFailed("the PDF render server did not fork a child")
        return struct.unpack("!q", raw)[0], ours


_server: _Server | None = None
_server_lock = threading.Lock()  # held only to start the server or hand it a socket


def _fork_child() -> tuple[int, socket.socket]:
    global _server
    with _server_lock:
        for attempt in (1, 2):
            if _server is None or not _server.alive():
                if _server is not None and _server.owner_pid == os.getpid():
                    _server.close()
                _server = _Server()
            try:
                return _server.fork_child()
            except (OSError, RenderFailed):
                # The server died (killed, out of memory): start another once.
                if attempt == 2:
                    raise
                _server.close()
                _server = None
    raise AssertionError("unreachable")


def render(html: str, *, timeout: float) -> bytes:
    """PDF bytes for ``html``, rendered in a child process that is killed
    (SIGKILL) if it has not finished within ``timeout`` seconds."""
    try:
        pid, sock = _fork_child()
    except OSError as exc:
        raise RenderFailed(f"the PDF render server is not available: {exc}") from exc
    deadline = time.monotonic() + timeout
    with sock:
        try:
            payload = html.encode("utf-8")
            sock.sendall(_REQUEST.pack(timeout, len(payload)) + payload)
            header = _read_until(sock, _HEADER.size, deadline)
            status, length = _HEADER.unpack(header)
            body = _read_until(sock, length, deadline)
        except TimeoutError:
            _kill(pid)
            logger.warning("PDF render killed after %g s (pid %s)", timeout, pid)
            raise RenderTimeout(timeout, pid) from None
        except (OSError, EOFError, struct.error) as exc:
            _kill(pid)
            raise RenderFailed(f"the PDF render process died: {exc}") from exc
    if status != b"O":
        raise RenderFailed(body.decode("utf-8", errors="replace"))
    return body


def _kill(pid: int) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGKILL)


def _read_until(sock: socket.socket, n: int, deadline: float) -> bytes:
    chunks, got = [], 0
    while got < n:
        left = deadline - time.monotonic()
        if left <= 0:
            raise TimeoutError
        ready, _, _ = select.select([sock], [], [], left)
        if not ready:
            raise TimeoutError
        chunk = sock.recv(min(n - got, 1 << 20))
        if not chunk:
            raise EOFError("connection closed")
        chunks.append(chunk)
        got += len(chunk)
    return b"".join(chunks)


def _read_exact(sock: socket.socket, n: int) -> bytes:
    chunks, got = [], 0
    while got < n:
        chunk = sock.recv(n - got)
        if not chunk:
            break
        chunks.append(chunk)
        got += len(chunk)
    return b"".join(chunks)


def _read_line(sock: socket.socket) -> bytes:
    line = b""
    while not line.endswith(b"\n"):
        chunk = sock.recv(1)
        if not chunk:
            break
        line += chunk
    return line.strip()


# --- the render server (python -m aftersales.reports.pdf_process FD) -------------


def serve(control_fd: int) -> None:
    control = socket.socket(fileno=control_fd)
    try:
        from aftersales.reports import pdf_engine

        pdf_engine.warm_up()
    except Exception as exc:  # noqa: BLE001 - reported to the caller, which raises it
        control.sendall(f"{type(exc).__name__}: {exc}"[:2000].encode() + b"\n")
        return
    # Children are reaped by the kernel as they exit: no zombies, no waiting.
    signal.signal(signal.SIGCHLD, signal.SIG_IGN)
    control.sendall(b"ready\n")
    while True:
        try:
            _msg, fds, _flags, _addr = socket.recv_fds(control, 1, 1)
        except OSError:
            return
        if not fds:
            return  # the caller closed its end: it has exited
        child_sock = socket.socket(fileno=fds[0])
        pid = os.fork()
        if pid == 0:
            control.close()
            _child(child_sock)  # never returns
        child_sock.sendall(struct.pack("!q", pid))
        child_sock.close()


def _child(sock: socket.socket) -> None:
    code = 0
    try:
        signal.signal(signal.SIGCHLD, signal.SIG_DFL)
        signal.alarm(START_TIMEOUT)  # until the caller has sent its request
        seconds, length = _REQUEST.unpack(_read_exact(sock, _REQUEST.size))
        # A second backstop: dies on its own shortly after the caller stops waiting.
        signal.alarm(math.ceil(seconds) + 2)
        html = _read_exact(sock, length).decode("utf-8")
        from aftersales.reports import pdf_engine

        try:
            body, status = pdf_engine.html_to_pdf(html), b"O"
        except Exception as exc:  # noqa: BLE001 - sent to the caller, which raises it
            body, status = f"{type(exc).__name__}: {exc}"[:2000].encode(), b"E"
        sock.sendall(_HEADER.pack(status, len(body)) + body)
    except BaseException:  # noqa: BLE001 - the caller sees the closed socket
        code = 1
    finally:
        # os._exit: no atexit hooks, no finalisers, which would delete the
        # font files the server and its other children still use.
        os._exit(code)


if __name__ == "__main__":
    serve(int(sys.argv[1]))
