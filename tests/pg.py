"""A throwaway PostgreSQL cluster on 127.0.0.1 for the database-path tests."""

from __future__ import annotations

import glob
import os
import shutil
import subprocess
import tempfile
from pathlib import Path

from tests.prerequisites import free_port, missing


def _pg_bin() -> Path | None:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    return Path(found[-1]).parent if found else None


def _as_cluster_owner(args: list[str]) -> list[str]:
    return ["runuser", "-u", "postgres", "--", *args] if os.geteuid() == 0 else args


class Cluster:
    def __init__(self):
        self.bin = _pg_bin()
        if self.bin is None:
            missing("PostgreSQL server binaries not installed (apt-get install postgresql)")
        self.dir = Path(tempfile.mkdtemp(prefix="tc-pg-"))
        self.port = free_port()
        if os.geteuid() == 0:
            shutil.chown(self.dir, "postgres", "postgres")

    def start(self) -> str:
        data = self.dir / "data"
        subprocess.run(_as_cluster_owner([str(self.bin / "initdb"), "-D", str(data), "-U",
                                          "postgres", "-A", "trust", "--no-sync"]),
                       check=True, capture_output=True)
        options = (f"-p {self.port} -k {self.dir} -c listen_addresses=127.0.0.1 -c fsync=off "
                   "-c synchronous_commit=off -c full_page_writes=off")
        subprocess.run(_as_cluster_owner([str(self.bin / "pg_ctl"), "-D", str(data), "-l",
                                          str(self.dir / "log"), "-w", "-o", options, "start"]),
                       check=True, capture_output=True)
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/postgres"

    def create_database(self, name: str) -> str:
        subprocess.run([str(self.bin / "psql"), "-h", "127.0.0.1", "-p", str(self.port), "-U",
                        "postgres", "-c", f'CREATE DATABASE "{name}"'],
                       check=True, capture_output=True)
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/{name}"

    def stop(self) -> None:
        subprocess.run(_as_cluster_owner([str(self.bin / "pg_ctl"), "-D", str(self.dir / "data"),
                                          "-m", "fast", "-w", "stop"]), capture_output=True)
        shutil.rmtree(self.dir, ignore_errors=True)
