"""segcore's CLI run by the tests: in this process (``run_cli``, the default: no new Python and
torch per call) or as a real process (``run_cli_process``). conftest exports both."""

from __future__ import annotations

import contextlib
import io
import os
import subprocess
import sys
import tempfile
import traceback
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


@contextlib.contextmanager
def captured_output():
    """This process's stdout and stderr (Python's and C libraries', at file descriptors 1 and 2)
    into two temporary files; yields ``read() -> (stdout, stderr)``."""
    sys.stdout.flush()
    sys.stderr.flush()
    files = [tempfile.TemporaryFile(), tempfile.TemporaryFile()]
    saved = [os.dup(1), os.dup(2)]
    streams = sys.stdout, sys.stderr
    try:
        for fd, f in zip((1, 2), files):
            os.dup2(f.fileno(), fd)
        sys.stdout, sys.stderr = (io.TextIOWrapper(io.FileIO(fd, "w", closefd=False), encoding="utf-8",
                                                   errors="replace", write_through=True) for fd in (1, 2))

        def read() -> tuple[str, str]:
            sys.stdout.flush()
            sys.stderr.flush()
            out = []
            for f in files:
                f.seek(0)
                out.append(f.read().decode("utf-8", errors="replace"))
            return out[0], out[1]

        yield read
    finally:
        sys.stdout.flush()
        sys.stderr.flush()
        sys.stdout, sys.stderr = streams
        for fd, s in zip((1, 2), saved):
            os.dup2(s, fd)
            os.close(s)
        for f in files:
            f.close()


def run_cli(*args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess:
    """``segcore ARGS`` called in this process (``segcore.cli.main``): its exit code, stdout and
    stderr as a ``CompletedProcess``, as ``python -m segcore`` gives them (an exception the CLI
    lets through is a traceback on stderr and code 1) without starting Python and torch again."""
    from segcore.cli import main

    argv = [str(a) for a in args]
    here = os.getcwd()
    if Path(cwd).resolve() != Path(here).resolve():
        os.chdir(cwd)
    try:
        with captured_output() as read:
            try:
                code = main(argv)
            except SystemExit as e:     # argparse: 2 on a usage error, 0 after --help
                code = e.code if isinstance(e.code, int) else (0 if e.code is None else 1)
                if isinstance(e.code, str):
                    print(e.code, file=sys.stderr)
            except Exception:           # noqa: BLE001 - what the interpreter would print
                traceback.print_exc()
                code = 1
            stdout, stderr = read()
    finally:
        os.chdir(here)
    return subprocess.CompletedProcess(["segcore", *argv], code, stdout, stderr)


def run_cli_process(*args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess:
    """A real ``python -m segcore ARGS`` (a new Python): for tests of the process itself."""
    env = dict(os.environ, PYTHONWARNINGS="ignore")
    return subprocess.run([sys.executable, "-m", "segcore", *args], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=600)
