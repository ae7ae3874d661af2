#!/usr/bin/python3
"""Print a VNC server's RFB greeting (RFC 6143, 7.1.1: "RFB 003.008\\n", 12 bytes).

Usage: rfb-probe.py unix:PATH | tcp:HOST:PORT [SECONDS]

Exit 0 and print the greeting when the first 12 bytes read are an RFB version line; exit 1 when
something else answered; exit 2 when no connection could be made (refused, unreachable, timed out).
The bed's scripts use it because bash cannot open a unix socket.
"""
import socket
import sys


def main(argv):
    if len(argv) not in (2, 3):
        print(__doc__.strip().splitlines()[2], file=sys.stderr)
        return 64
    target = argv[1]
    seconds = float(argv[2]) if len(argv) == 3 else 5.0
    try:
        if target.startswith("unix:"):
            sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            sock.settimeout(seconds)
            sock.connect(target[len("unix:"):])
        elif target.startswith("tcp:"):
            host, _, port = target[len("tcp:"):].rpartition(":")
            sock = socket.create_connection((host, int(port)), timeout=seconds)
        else:
            print(f"rfb-probe: target must start with unix: or tcp: ({target})", file=sys.stderr)
            return 64
    except OSError as error:
        print(f"rfb-probe: cannot connect to {target}: {error}", file=sys.stderr)
        return 2
    with sock:
        greeting = b""
        try:
            while len(greeting) < 12:
                chunk = sock.recv(12 - len(greeting))
                if not chunk:
                    break
                greeting += chunk
        except OSError as error:
            print(f"rfb-probe: {target} gave no greeting: {error}", file=sys.stderr)
            return 1
    text = greeting.decode("ascii", "replace").rstrip("\n")
    if len(greeting) == 12 and greeting.startswith(b"RFB ") and greeting.endswith(b"\n"):
        print(text)
        return 0
    print(f"rfb-probe: {target} answered {greeting!r}, not an RFB greeting", file=sys.stderr)
    return 1


if __name__ == "__main__":
    sys.exit(main(sys.argv))
