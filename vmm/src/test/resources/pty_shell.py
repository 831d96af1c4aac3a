#!/usr/bin/python3
"""Drives an interactive program through a pseudo-terminal, the way a person at a terminal would.

usage: pty_shell.py COMMAND [ARG...]

Starts COMMAND on a new pty, waits for the Linux guest's shell prompt, types a command whose
answer cannot appear unless the guest's shell ran it, waits for the answer, types `exit`, and
exits with COMMAND's status. When an expected text does not come within its timeout, it says so
on stderr, stops COMMAND if it still runs (SIGTERM, then SIGKILL after 15 s) and exits with the
status COMMAND ended with (shell style: 128 + N for a signal), so that Vireo's own exit status
(an error, a crash) is what the caller sees. The whole transcript goes to stdout.
"""
import signal
import os
import pty
import select
import sys
import time

PROMPT_TIMEOUT_S = 240
ANSWER_TIMEOUT_S = 60
STOP_TIMEOUT_S = 15


def read_until(fd, needle, timeout_s, transcript):
    deadline = time.monotonic() + timeout_s
    while needle not in transcript[0]:
        left = deadline - time.monotonic()
        if left <= 0:
            return False
        ready, _, _ = select.select([fd], [], [], min(left, 1.0))
        if fd in ready:
            try:
                data = os.read(fd, 4096)
            except OSError:
                return needle in transcript[0]
            if not data:
                return needle in transcript[0]
            text = data.decode("utf-8", "replace")
            sys.stdout.write(text)
            sys.stdout.flush()
            transcript[0] += text
    return True


def child_status(pid):
    """COMMAND's exit status, shell style; stops it first if it is still running."""
    done, status = os.waitpid(pid, os.WNOHANG)
    if done == 0:
        os.kill(pid, signal.SIGTERM)
        deadline = time.monotonic() + STOP_TIMEOUT_S
        while done == 0 and time.monotonic() < deadline:
            time.sleep(0.2)
            done, status = os.waitpid(pid, os.WNOHANG)
        if done == 0:
            os.kill(pid, signal.SIGKILL)
            _, status = os.waitpid(pid, 0)
    code = os.waitstatus_to_exitcode(status)
    return 128 - code if code < 0 else code


def gave_up(pid, why):
    status = child_status(pid)
    print("\npty_shell: %s; the command ended with status %d" % (why, status), file=sys.stderr)
    return status


def type_line(fd, line):
    """Types like a person: one key at a time (a serial console is 115200 baud, not a paste buffer)."""
    for b in line:
        os.write(fd, bytes([b]))
        time.sleep(0.05)


def main():
    if len(sys.argv) < 2:
        print(__doc__, file=sys.stderr)
        return 2
    pid, fd = pty.fork()
    if pid == 0:
        os.execvp(sys.argv[1], sys.argv[1:])
    transcript = [""]
    if not read_until(fd, "Exit the shell to power off.", PROMPT_TIMEOUT_S, transcript):
        return gave_up(pid, "no shell banner from the guest")
    time.sleep(1.0)  # let the shell print its prompt and enable the line discipline
    type_line(fd, b"echo answer-$((6*7))-from-Linux\r")
    if not read_until(fd, "answer-42-from-Linux", ANSWER_TIMEOUT_S, transcript):
        return gave_up(pid, "the guest's shell did not answer")
    type_line(fd, b"exit\r")
    read_until(fd, "\x00never\x00", ANSWER_TIMEOUT_S, transcript)  # drain until the program ends
    return child_status(pid)


if __name__ == "__main__":
    sys.exit(main())
