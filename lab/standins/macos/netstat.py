#!/usr/bin/python3
"""`netstat` stand-in (twin, studio): macOS `netstat -an [-p tcp|udp]`, rendered from the REAL sockets.

Imitates selftest/fixtures/darwin/netstat-atn-macos15.txt, a real capture of macOS 15.0.1 (README.md there
names its source), and the sample of Parse::Netstat::darwin (netstat-an-full-sample.txt,
https://metacpan.org/pod/Parse::Netstat::darwin), whose columns are the same:

    Active Internet connections (including servers)
    Proto Recv-Q Send-Q  Local Address          Foreign Address        (state)    
    tcp4       0      0  *.8100                 *.*                    LISTEN     

i.e. `%-5.5s %6u %6u  %-22.22s %-22.22s %-11s` per row, the state padded to 11 characters (`LISTEN` and
the header's `(state)` end in spaces on a real Mac; the Parse::Netstat sample lost them), addresses as
`host.port` with `*` for a wildcard host and `*.*` for no peer, the host cut to 16 characters (BSD
netstat's inetprint; the fixture netstat-anv-macos26.txt shows `2600:1700:5610:3.50624`), BSD state
names (ESTABLISHED, TIME_WAIT, ...). Protocol per socket family: `tcp4` an IPv4 socket, `tcp6` an
IPv6-only one, `tcp46` a dual-stack IPv6 socket (what `ss` shows as `*:port`). Recv-Q/Send-Q of a
listener are 0 (BSD counts the socket buffers; Linux `ss` puts the backlog there).

The sockets are the container's own, read with `ss -Hantu` (/usr/bin/ss by absolute path: the SSH
user's PATH has no `ss`, as a Mac has none). Sockets of every user are listed, as netstat lists them
to anyone on a Mac (inspec/inspec #6219). The order is the kernel's, not BSD's (newest first).

Implemented: -a -n -p tcp|udp (and -f inet|inet6). `-v`, `-r`, `-s`, `-i` and the unix-domain and
Multipath sections of a bare `netstat -an` are not (exit 64, saying so).
"""
import getopt
import subprocess
import sys

SS = "/usr/bin/ss"
STATES = {"LISTEN": "LISTEN", "ESTAB": "ESTABLISHED", "SYN-SENT": "SYN_SENT", "SYN-RECV": "SYN_RCVD",
          "FIN-WAIT-1": "FIN_WAIT_1", "FIN-WAIT-2": "FIN_WAIT_2", "TIME-WAIT": "TIME_WAIT", "CLOSE": "CLOSED",
          "CLOSE-WAIT": "CLOSE_WAIT", "LAST-ACK": "LAST_ACK", "CLOSING": "CLOSING", "UNCONN": ""}


def split_address(text: str) -> tuple[str, str, str]:
    """ss's `0.0.0.0:22`, `*:22`, `[::]:22`, `[::1]:631`, `[fe80::1]%eth0:5000` -> (family, host, port)."""
    host, _, port = text.rpartition(":")
    if host.startswith("["):  # IPv6; a zone (`%eth0`) after the bracket is dropped
        inner = host[1:host.index("]")]
        if inner.startswith("::ffff:") and "." in inner:  # IPv4 on a dual-stack socket: BSD shows tcp4
            return "4", inner[7:], port
        return "6", inner, port
    if host == "*":
        return "46", "*", port
    return ("6" if ":" in host else "4"), host.split("%", 1)[0], port


def bsd_address(host: str, port: str) -> str:
    if host in ("*", "0.0.0.0", "::"):
        host = "*"
    return f"{host[:16]}.{port if port != '*' else '*'}"


def rows(proto: str, families: set[str]) -> list[str]:
    cp = subprocess.run([SS, "-Hna", "--tcp" if proto == "tcp" else "--udp"], capture_output=True, text=True)
    out = []
    for line in cp.stdout.splitlines():
        cols = line.split()
        if len(cols) < 5:
            continue
        state, recv_q, send_q, local, peer = cols[:5]
        family, host, port = split_address(local)
        if family == "4" and "inet" not in families or family in ("6", "46") and "inet6" not in families:
            continue
        bsd_state = STATES.get(state, state)
        if state == "LISTEN":
            recv_q = send_q = "0"
        _, phost, pport = split_address(peer)
        foreign = "*.*" if phost == "*" and pport == "*" else bsd_address(phost, pport)
        if proto == "udp":
            foreign = "*.*" if pport in ("*", "0") else foreign
        name = f"{proto}{family}"
        row = f"{name:<5.5} {int(recv_q):>6} {int(send_q):>6}  {bsd_address(host, port):<22.22} {foreign:<22.22} "
        # tcp: the state padded, as the macOS 15 capture prints it; udp (no state): as the Parse::Netstat sample
        out.append(row + f"{bsd_state:<11}" if proto == "tcp" else (row + bsd_state).rstrip())
    return out


def main(argv: list[str]) -> int:
    try:
        opts, rest = getopt.getopt(argv, "anp:f:vrsiWlxAbdgLmqRSuwzI:c:")
    except getopt.GetoptError as e:
        sys.stderr.write(f"netstat: illegal option -- {e.opt}\n")
        return 1
    given = dict(opts)
    unsupported = [o for o, _ in opts if o not in ("-a", "-n", "-p", "-f")]
    if unsupported or rest or "-p" not in given and "-f" not in given:
        what = " ".join(unsupported + rest) or "a bare -an (unix-domain and Multipath sections)"
        sys.stderr.write(f"netstat (twin stand-in): not implemented: {what}; use `netstat -an -p tcp`\n")
        return 64
    protos = [given["-p"]] if "-p" in given else ["tcp", "udp"]
    if any(p not in ("tcp", "udp") for p in protos):
        sys.stderr.write(f"netstat: {given['-p']}: unknown or uninstrumented protocol\n")
        return 1
    families = {given["-f"]} if "-f" in given else {"inet", "inet6"}
    lines = ["Active Internet connections" + (" (including servers)" if "-a" in given else ""),
             "Proto Recv-Q Send-Q  Local Address          Foreign Address        (state)    "]
    for proto in protos:
        lines += [r for r in rows(proto, families) if "-a" in given or not r.endswith("LISTEN")]
    sys.stdout.write("\n".join(lines) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
