
# ---- The replay engine (harness/repro.py, the same in every script) ------
#
# EVENTS above is the check's replay log: (ms, kind, conn, from, to, bytes),
# in the order the grader saw them.  The grader's own actions (connect,
# send, half-close, close, reset, type, end input, signal, datagrams) are
# done again in that order, each after the same pause as in the graded run
# since the event before it.  At everything the graded run saw a program
# do (bytes on a connection, a datagram, an exit, and output where the
# check judged it) the script waits, within the check's time limit, for the
# same thing: the same failure means every one of them came again, and
# nothing more came before the point where the check failed.
#
# Compared: the bytes on each connection, as one stream (not how they
# were cut into pieces), datagrams, output lines and how a program ended;
# numbers with a decimal point or colon in them and integers of 4 digits
# or more (times, round trips, ports, addresses) may differ.  Output is compared only where the check's message is about it.
# Exit status: 1 the same failure, 0 it did not reproduce, 2 the script
# could not run the check.

import errno
import os
import pty
import re
import select
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import termios
import time

SAME, DIFFERENT, BROKEN = 1, 0, 2


class Differs(Exception):
    """The program did not do what it did when graded."""


class CannotReplay(Exception):
    """The script cannot run the check here."""


def now():
    return time.monotonic()


def text(b):
    return b.decode("utf-8", "replace")


def safe(b, lines=True):
    """B for a terminal: a byte that is no valid UTF-8, and a character
    that is not printable (an escape sequence), as \\xNN; as the grader's
    reports show text."""
    s = b.decode("utf-8", "backslashreplace") if isinstance(b, bytes) else b
    return "".join(
        c if lines and c in "\n\t" or c.isprintable()
        else "\\x%02x" % ord(c) if ord(c) < 256 else "\\u%04x" % ord(c)
        for c in s)


def shown(b, most=80):
    s = repr(bytes(b[:most]))[1:]
    return s + ("... (%d bytes)" % len(b) if len(b) > most else "")


NUMBER = re.compile(rb"[0-9]+(?:[.:][0-9]+)+|[0-9]{4,}")


def loosely(b):
    return NUMBER.sub(b"#", bytes(b))


def free_port():
    """A port free on 127.0.0.1 (and ::1 where there is IPv6), for now."""
    for _ in range(50):
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
        s.close()
        try:
            t = socket.socket(socket.AF_INET6, socket.SOCK_STREAM)
            t.bind(("::1", port))
            t.close()
        except OSError as e:
            if e.errno == errno.EADDRINUSE:
                continue
        return port
    raise CannotReplay("no free port")


def bound_on(port):
    """Whether a socket of this machine listens on TCP or is bound on UDP
    at PORT: what the grader waited for before it went on."""
    for name, want in (("tcp", "0A"), ("tcp6", "0A"), ("udp", None), ("udp6", None)):
        try:
            with open("/proc/net/" + name) as f:
                next(f)
                for line in f:
                    fields = line.split()
                    if int(fields[1].split(":")[1], 16) == port and (
                        want is None or fields[3] == want
                    ):
                        return True
        except OSError:
            pass
    return False


def signal_named(name):
    return getattr(signal, text(name), None)


class Program:
    def __init__(self, actor):
        self.actor = actor
        self.name = None
        self.path = None
        self.argv = []
        self.env = []
        self.terminal = True
        self.preload = False
        self.proc = None
        self.out = bytearray()
        self.err = bytearray()
        self.fds = {}
        self.stdin = None
        self.status = None


class Replay:
    def __init__(self, lab):
        self.lab = lab
        self.ports = {}  # the graded run's port: this run's
        self.owned = set()  # ports the grader itself listened or bound on
        self.programs = {}
        self.conns = {}  # conn number: socket
        self.actor_of = {}  # conn number: the program at its other end
        self.streams = {}  # conn number: bytes received so far
        self.seen = {}  # conn number: bytes the graded run received
        self.eof = {}
        self.listeners = {}
        self.udp = {}  # actor: (sockets, connected)
        self.udp_in = {}  # actor: datagrams received, in order
        self.udp_from = {}
        self.udp_taken = {}
        self.received_then = {}  # actor: datagrams received when graded
        self.folder = tempfile.mkdtemp(prefix="netlab-repro-")
        self.started = now()

    # -- ports -------------------------------------------------------------
    def port(self, old):
        old = int(old)
        if old not in self.ports:
            self.ports[old] = free_port()
        return self.ports[old]

    def map_word(self, word):
        if word.isdigit() and int(word) in self.ports:
            return str(self.ports[int(word)]).encode()
        return word

    def make(self, kind, data):
        """A folder or file the check made in its folder before it started
        its first program (a server's files), made again in this one."""
        path, _, contents = data.partition(b"\0")
        parts = path.split(b"/")
        if path.startswith(b"/") or b".." in parts or b"" in parts:
            raise CannotReplay("a file of the check's folder with a strange name")
        where = os.path.join(self.folder.encode(), path)
        if kind == b"dir":
            os.makedirs(where, exist_ok=True)
        else:
            with open(where, "wb") as f:
                f.write(contents)

    # -- moving bytes --------------------------------------------------------
    def pump(self, timeout):
        fds = {}
        for p in self.programs.values():
            for fd, sink in p.fds.items():
                fds[fd] = ("out", p, sink)
        for conn, s in self.conns.items():
            if s is not None and not self.eof.get(conn):
                fds[s.fileno()] = ("conn", conn, s)
        for actor, (socks, _) in self.udp.items():
            for s in socks:
                fds[s.fileno()] = ("udp", actor, s)
        # A child's exit wakes no descriptor here: look again soon.
        timeout = max(0.0, min(timeout, 0.01))
        try:
            ready, _, _ = select.select(list(fds), [], [], timeout)
        except InterruptedError:
            ready = []
        for fd in ready:
            what, who, sink = fds[fd]
            if what == "out":
                try:
                    data = os.read(fd, 65536)
                except OSError:
                    data = b""
                if data:
                    sink.extend(data)
                else:
                    del who.fds[fd]
                    os.close(fd)
            elif what == "conn":
                try:
                    data = sink.recv(65536)
                    if not data:
                        self.eof[who] = "close"
                    self.streams.setdefault(who, bytearray()).extend(data)
                except ConnectionResetError:
                    self.eof[who] = "reset"
                except OSError as e:
                    self.eof[who] = "error: " + os.strerror(e.errno or 0)
            else:
                try:
                    data, addr = sink.recvfrom(65536)
                except OSError:
                    continue
                self.udp_in.setdefault(who, []).append(data)
                self.udp_from[who] = (sink, addr)
        for p in self.programs.values():
            if p.proc is not None and p.status is None:
                p.status = p.proc.poll()

    def wait_for(self, done, seconds):
        until = now() + seconds
        while True:
            if done():
                return True
            left = until - now()
            if left <= 0:
                return done()
            self.pump(left)

    def pause(self, seconds):
        self.wait_for(lambda: False, seconds)

    # -- the grader's side ---------------------------------------------------
    def start(self, p):
        if p.path is None:
            raise CannotReplay(
                "the %s was not a program of the lab folder (the grader built "
                "or chose it itself)" % text(p.actor)
            )
        path = os.path.join(self.lab, p.path)
        argv = [path] + [self.map_word(w) for w in p.argv]
        env = {
            b"PATH": os.environb.get(b"PATH", b"/usr/local/bin:/usr/bin:/bin"),
            b"HOME": self.folder.encode(),
            b"TMPDIR": self.folder.encode(),
        }
        for var in p.env:
            k, _, v = var.partition(b"=")
            env[k] = v
        if p.preload and SHORTIO:
            env[b"LD_PRELOAD"] = SHORTIO.encode()
        if p.terminal:
            master, slave = pty.openpty()
            t = termios.tcgetattr(slave)
            t[0] &= ~(
                termios.IGNBRK | termios.BRKINT | termios.PARMRK | termios.ISTRIP
                | termios.INLCR | termios.IGNCR | termios.ICRNL | termios.IXON
                | termios.IXOFF
            )
            t[1] &= ~termios.OPOST
            t[3] &= ~(
                termios.ECHO | termios.ECHONL | termios.ECHOE | termios.ECHOK
                | termios.ISIG | termios.IEXTEN
            )
            t[3] |= termios.ICANON
            t[6][termios.VEOF] = b"\x04"
            termios.tcsetattr(slave, termios.TCSANOW, t)
            stdin = stdout = slave
        else:
            r, w = os.pipe()
            master, out_w = os.pipe()
            stdin, stdout = r, out_w
        err_r, err_w = os.pipe()
        try:
            p.proc = subprocess.Popen(
                argv, stdin=stdin, stdout=stdout, stderr=err_w, cwd=self.folder,
                env=env, start_new_session=True, close_fds=True,
            )
        except OSError as e:
            raise CannotReplay("the %s could not be started: %s" % (text(p.actor), e))
        os.close(stdin)
        if stdout != stdin:
            os.close(stdout)
        os.close(err_w)
        p.stdin = master if p.terminal else w
        p.fds = {master: p.out, err_r: p.err}
        # The grader waited for a server to listen (or bind) before it went
        # on: a port of the program's own among its arguments says which.
        own = [int(w) for w in p.argv if w.isdigit() and int(w) in self.ports
               and int(w) not in self.owned]
        for old in own:
            new = self.ports[old]
            if not self.wait_for(lambda: bound_on(new) or p.status is not None,
                                 LIMIT):
                break

    def connect(self, conn, to, port):
        new = self.ports.get(port)
        if new is None:
            raise CannotReplay("a connection to a port the log does not name")
        until = now() + LIMIT
        while True:
            for family, host in ((socket.AF_INET, "127.0.0.1"), (socket.AF_INET6, "::1")):
                s = socket.socket(family, socket.SOCK_STREAM)
                try:
                    s.connect((host, new))
                    s.setblocking(False)
                    self.conns[conn] = s
                    return
                except OSError:
                    s.close()
            if now() > until:
                raise Differs("the grader could not connect to the %s (port %d)"
                              % (text(to), new))
            self.pause(0.005)

    def accept(self, conn, actor, port):
        socks = self.listeners.get(port)
        if not socks:
            raise CannotReplay("a connection to a port the grader did not listen on")
        got = []

        def accepted():
            r, _, _ = select.select(socks, [], [], 0)
            if r:
                s, _ = r[0].accept()
                s.setblocking(False)
                got.append(s)
            return bool(got)

        if not self.wait_for(accepted, LIMIT):
            raise Differs("the %s did not connect to the grader (port %d) within %d ms"
                          % (text(actor), self.ports[port], LIMIT * 1000))
        self.conns[conn] = got[0]

    def listen(self, port, listening):
        new = self.port(port)
        self.owned.add(port)
        socks = []
        for family, host in ((socket.AF_INET, "127.0.0.1"), (socket.AF_INET6, "::1")):
            try:
                s = socket.socket(family, socket.SOCK_STREAM)
                s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
                if family == socket.AF_INET6:
                    s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
                s.bind((host, new))
                if listening:
                    s.listen(64)
                socks.append(s)
            except OSError:
                if family == socket.AF_INET:
                    raise CannotReplay("cannot bind port %d" % new)
        self.listeners[port] = socks

    def udp_socket(self, actor, port, listening):
        new = self.port(port)
        socks = []
        if listening:
            self.owned.add(port)
            for family, host in ((socket.AF_INET, "127.0.0.1"), (socket.AF_INET6, "::1")):
                try:
                    s = socket.socket(family, socket.SOCK_DGRAM)
                    if family == socket.AF_INET6:
                        s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
                    s.bind((host, new))
                    socks.append(s)
                except OSError:
                    if family == socket.AF_INET:
                        raise CannotReplay("cannot bind UDP port %d" % new)
        else:
            s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            s.connect(("127.0.0.1", new))
            socks.append(s)
        self.udp[actor] = (socks, not listening)

    def send_datagram(self, actor, data):
        socks, connected = self.udp[actor]
        # A reply made of what a program sent (an echo, upper-cased) is made
        # of what it sent this time: its time stamps differ from run to run.
        then = self.received_then.get(actor, [])
        for i, old in enumerate(then):
            if data in (old, old.upper()) and i < len(self.udp_in.get(actor, [])):
                now_got = self.udp_in[actor][i]
                data = now_got.upper() if data == old.upper() and data != old else now_got
                break
        try:
            if connected:
                socks[0].send(data)
            elif actor in self.udp_from:
                s, addr = self.udp_from[actor]
                s.sendto(data, addr)
        except OSError:
            pass  # as the grader, who noted it and went on

    # -- what the programs did ----------------------------------------------
    def expect_stream(self, conn, actor, upto):
        """The bytes of CONN so far, compared loosely (a time or a port in
        them may differ): the graded run's UPTO, and nothing else."""
        got = self.streams.setdefault(conn, bytearray())
        want = loosely(upto)
        self.wait_for(lambda: len(loosely(got)) >= len(want) or self.eof.get(conn), LIMIT)
        mine = loosely(got)[: len(want)]
        if mine != want[: len(mine)]:
            at = next(i for i in range(len(mine)) if mine[i] != want[i])
            raise Differs(
                "the %s sent other bytes: %s where the graded run received %s "
                "(numbers shown as #)" % (text(actor), shown(mine[at:]), shown(want[at:]))
            )
        if len(mine) < len(want):
            raise Differs(
                "the %s sent %d bytes where the graded run received %d (%s)%s"
                % (text(actor), len(got), len(upto), shown(upto),
                   ", then it closed" if self.eof.get(conn) else
                   " within %d ms" % (LIMIT * 1000))
            )

    def expect_end(self, conn, actor, how):
        if not self.wait_for(lambda: self.eof.get(conn), LIMIT):
            raise Differs("the %s did not %s the connection within %d ms, as it did "
                          "when graded" % (text(actor), how, LIMIT * 1000))
        if self.eof[conn] != how:
            raise Differs("the %s ended the connection with a %s, not a %s as when "
                          "graded" % (text(actor), self.eof[conn], how))

    def expect_datagram(self, actor, data, index):
        got = self.udp_in.setdefault(actor, [])
        self.wait_for(lambda: len(got) > index, LIMIT)
        if len(got) <= index:
            raise Differs("the %s sent no datagram %s within %d ms"
                          % (text(actor), shown(data), LIMIT * 1000))
        if loosely(got[index]) != loosely(data):
            raise Differs("the %s sent the datagram %s where the graded run received %s"
                          % (text(actor), shown(got[index]), shown(data)))

    def expect_output(self, p, sink, upto, name):
        want = loosely(upto).split(b"\n")
        n = len(upto)

        def enough():
            return len(sink) >= n or p.status is not None and not p.fds

        self.wait_for(enough, LIMIT)
        have = loosely(sink[: max(n, 0)]).split(b"\n")
        for i, line in enumerate(want):
            mine = have[i] if i < len(have) else None
            last = i == len(want) - 1
            if mine == line or last and mine is not None and mine.startswith(line):
                continue
            raise Differs("the %s's %s, line %d: %s where the graded run saw %s"
                          % (text(p.actor), name, i + 1,
                             shown(mine if mine is not None else b"(nothing)"), shown(line)))

    def expect_exit(self, p, how):
        self.wait_for(lambda: p.status is not None, LIMIT)
        if p.status is None:
            raise Differs("the %s did not end within %d ms; when graded, it %s"
                          % (text(p.actor), LIMIT * 1000, text(how)))
        mine = describe(p.status)
        if mine != text(how):
            raise Differs("the %s %s; when graded, it %s" % (text(p.actor), mine, text(how)))

    # -- the end -------------------------------------------------------------
    def nothing_more(self):
        for conn, got in self.streams.items():
            want = self.seen.get(conn, b"")
            if len(loosely(got)) > len(loosely(want)):
                raise Differs("the %s sent more than when graded, before the check "
                              "failed: %s" % (text(self.actor_of.get(conn, b"program")),
                                             shown(loosely(got)[len(loosely(want)):])))
        for actor, got in self.udp_in.items():
            if len(got) > len(self.received_then.get(actor, [])):
                raise Differs("the %s sent more datagrams than when graded: %s"
                              % (text(actor), shown(got[len(self.received_then.get(actor, []))])))
        for p in self.programs.values():
            if p.status is not None and not p.exit_logged:
                raise Differs("the %s %s, which it had not when the check failed"
                              % (text(p.actor), describe(p.status)))

    def stop(self):
        for p in self.programs.values():
            if p.proc is not None and p.proc.poll() is None:
                try:
                    os.killpg(p.proc.pid, signal.SIGKILL)
                except OSError:
                    pass
                p.proc.wait()
        subprocess.run(["rm", "-rf", "--", self.folder])


def describe(status):
    if status >= 0:
        return "exited with status %d" % status
    sig = -status
    return "was killed by signal SIG%s (%s)" % (
        signal.Signals(sig).name[3:], signal.strsignal(sig))


def judged(message):
    """Whether the check's failure is about what a program printed: its
    message says so, not counting the lines that show every program's
    output at the end of any failure ("its stdout: ...")."""
    own = b"\n".join(line for line in message.split(b"\n")
                     if not re.match(rb"\s+its (stdout|stderr)", line))
    return re.search(rb"print|output|stdout|standard output|terminal|wrote|report|line",
                     own, re.I) is not None


def replay(lab):
    r = Replay(lab)
    judge = judged(MESSAGE)
    # A first pass: what the graded run received on each connection, and
    # the programs' exits before the failure.
    for ms, kind, conn, who, to, data in EVENTS:
        if kind == b"data" and to == b"grader":
            r.seen[conn] = r.seen.get(conn, b"") + data
        if kind == b"dgram" and to == b"grader":
            r.received_then.setdefault(who, []).append(data)
        if b"relay" in (who, to):
            raise CannotReplay("the check puts a relay of the grader's between the "
                               "programs, which this script does not play")
    last_ms, last_at = 0.0, now()
    upto, outs, errs, dgrams = {}, {}, {}, {}
    try:
        for ms, kind, conn, who, to, data in EVENTS:
            p = r.programs.get(to) or r.programs.get(who)
            grader_acts = who == b"grader" and kind in (
                b"start", b"open", b"data", b"shut", b"close", b"reset", b"stdin",
                b"stdin-eof", b"signal", b"dgram", b"dup", b"late")
            if grader_acts:  # as long after the event before it as when graded
                r.pause(max(0.0, (ms - last_ms) / 1000.0 - (now() - last_at)))
            if kind == b"port":
                r.port(data)
            elif kind in (b"listen", b"refuse"):
                r.listen(int(data), kind == b"listen")
            elif kind in (b"udp-listen", b"udp-to"):
                r.udp_socket(to, int(data), kind == b"udp-listen")
            elif kind == b"lab":
                pass
            elif kind in (b"dir", b"file"):
                r.make(kind, data)
            elif kind in (b"program", b"program-path"):
                q = r.programs.setdefault(to, Program(to))
                q.path = data.decode("utf-8", "surrogateescape") if kind == b"program" else None
                q.exit_logged = False
            elif kind == b"argv":
                r.programs[to].argv = data.split(b"\0")[:-1]
            elif kind == b"env":
                r.programs[to].env = data.split(b"\0")[:-1]
            elif kind == b"input":
                r.programs[to].terminal = data == b"terminal"
            elif kind == b"preload":
                r.programs[to].preload = True
                if not SHORTIO:
                    print("note: shortio.so not found: the %s runs without short "
                          "reads and writes forced on it" % text(to))
            elif kind == b"start":
                r.start(r.programs[to])
            if kind == b"open":
                r.actor_of[conn] = to if who == b"grader" else who
            if kind == b"port":
                pass
            elif kind == b"open" and who == b"grader":
                r.connect(conn, to, int(data.split()[-1]))
            elif kind == b"open" and to == b"grader":
                r.accept(conn, who, int(data.split()[-1]))
            elif kind == b"data" and who == b"grader":
                r.conns[conn].sendall(data)
            elif kind == b"data":
                upto[conn] = upto.get(conn, b"") + data
                r.expect_stream(conn, who, upto[conn])
            elif kind == b"shut" and who == b"grader":
                r.conns[conn].shutdown(socket.SHUT_WR)
            elif kind in (b"close", b"reset") and who == b"grader":
                s = r.conns.pop(conn)
                if kind == b"reset":
                    s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                s.close()
                r.eof[conn] = "closed"
            elif kind in (b"close", b"reset") and to == b"grader":
                r.expect_end(conn, who, kind.decode())
            elif kind == b"stdin":
                os.write(p.stdin, data)
            elif kind == b"stdin-eof":
                if p.terminal:
                    os.write(p.stdin, b"\x04")
                else:
                    os.close(p.stdin)
            elif kind == b"signal":
                sig = signal_named(data)
                if sig is not None and p.proc is not None:
                    os.kill(p.proc.pid, sig)
            elif kind == b"stdout" and judge:
                outs[who] = outs.get(who, b"") + data
                r.expect_output(p, p.out, outs[who], "output")
            elif kind == b"stderr" and judge:
                errs[who] = errs.get(who, b"") + data
                r.expect_output(p, p.err, errs[who], "standard error")
            elif kind == b"exit":
                p.exit_logged = True
                r.expect_exit(p, data)
            elif kind in (b"dgram", b"dup", b"late") and who == b"grader":
                r.send_datagram(to, data)
            elif kind == b"dgram":
                dgrams[who] = dgrams.get(who, -1) + 1
                r.expect_datagram(who, data, dgrams[who])
            elif kind == b"fail":
                # Up to the point where the check failed: nothing more.
                r.pause(max(0.0, (ms - last_ms) / 1000.0 - (now() - last_at)))
                r.pump(0)
                r.nothing_more()
                return SAME
            if kind not in (b"port", b"listen", b"refuse", b"udp-listen", b"udp-to",
                            b"lab", b"program", b"program-path", b"argv", b"env",
                            b"input", b"preload"):
                last_ms, last_at = ms, now()
        raise CannotReplay("the log ends before the check's failure")
    finally:
        r.stop()


def main():
    lab = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else os.fsdecode(LAB))
    if len(sys.argv) > 2 or lab in ("-h", "--help"):
        print("usage: %s [LAB_FOLDER]" % sys.argv[0])
        return BROKEN
    print("reproducing %s with the programs of %s" % (safe(CHECK), safe(os.fsencode(lab), False)))
    if CUT:
        print("note: the exchange was longer than the log keeps (%d KiB): the "
              "script replays it up to there, and cannot say whether the rest "
              "fails the same way" % (LOG_KIB))
    try:
        verdict = replay(lab)
    except Differs as e:
        print("did not reproduce: %s" % e)
        return DIFFERENT
    except CannotReplay as e:
        print("cannot reproduce here: %s" % e)
        return BROKEN
    if CUT:
        print("cannot reproduce here: the log of the exchange was cut")
        return BROKEN
    print("the same failure as when graded:")
    sys.stdout.flush()
    print(safe(MESSAGE), end="")
    return verdict


if __name__ == "__main__":
    try:
        sys.exit(main())
    except Exception as e:  # the script's own error, never a verdict
        print("repro: script error: %r" % (e,), file=sys.stderr)
        sys.exit(BROKEN)
