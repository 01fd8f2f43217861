"""Organizers' command line: ``python -m chalicelib.cli --help``.

It talks to the same store as the app: the AWS account in the environment, or the local
stack when ``AWS_ENDPOINT_URL`` points at it (see the README).

    python -m chalicelib.cli export --preset chase --format van -o chase.csv
    python -m chalicelib.cli users create --name "Sam" --role volunteer --phone +16175550123
    python -m chalicelib.cli import people.csv
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, TextIO

from chalicelib.domain.channels import known_channels
from chalicelib.domain.exports import ExportFormat, Preset, read_csv
from chalicelib.domain.model import Role
from chalicelib.domain.phones import InvalidPhoneNumber, to_e164
from chalicelib.services import exports, importer, users
from chalicelib.services.errors import HearbackError

if TYPE_CHECKING:
    from chalicelib.bootstrap import Container


class Progress:
    """A progress bar on stderr, redrawn at most ten times a second."""

    def __init__(self, total: int | None, label: str, out: TextIO, enabled: bool = True) -> None:
        self.total, self.label, self.out, self.enabled = total, label, out, enabled
        self.done = 0
        self._drawn = 0.0

    def __call__(self, n: int) -> None:
        self.done += n
        if self.enabled and time.monotonic() - self._drawn > 0.1:
            self.draw()

    def draw(self, end: str = "") -> None:
        self._drawn = time.monotonic()
        if self.total:
            share = min(1.0, self.done / self.total)
            bar = "#" * int(share * 30)
            text = f"\r{self.label} [{bar:<30}] {share:4.0%} {self.done}/{self.total}"
        else:
            text = f"\r{self.label} {self.done}"
        self.out.write(text + end)
        self.out.flush()

    def finish(self) -> None:
        if self.enabled:
            self.draw(end="\n")


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m chalicelib.cli", description="Hearback for organizers.")
    commands = parser.add_subparsers(dest="command", required=True)

    export = commands.add_parser("export", help="export people and their stance as CSV")
    export.add_argument("--format", choices=[f.value for f in ExportFormat], default="generic")
    export.add_argument("--support", help="support levels, e.g. 1,2")
    export.add_argument("--issue", help="issue positions, e.g. housing:support,taxes:oppose")
    export.add_argument("--since", help="only people changed since this ISO 8601 time")
    export.add_argument("--channel", choices=[c.value for c in known_channels()])
    export.add_argument("--preset", choices=[p.value for p in Preset], help="chase: 1-2 not opted out; persuasion: 2-4")
    export.add_argument("-o", "--output", help="file to write (default: standard output)")
    export.add_argument("-q", "--quiet", action="store_true", help="no progress bar")

    user_cmd = commands.add_parser("users", help="volunteers and organizers")
    user_sub = user_cmd.add_subparsers(dest="action", required=True)
    create = user_sub.add_parser("create", help="create a user and print their token (shown once)")
    create.add_argument("--name", required=True)
    create.add_argument("--role", choices=[r.value for r in Role], required=True)
    create.add_argument("--phone")

    imp = commands.add_parser("import", help="import known people from a CSV file")
    imp.add_argument("file", help="CSV with first_name,last_name,phone,email,zip,van_id (and optional stance)")
    imp.add_argument("-q", "--quiet", action="store_true")
    return parser


def _export(args: argparse.Namespace, c: Container, stdout: TextIO, stderr: TextIO) -> int:
    params = {name: getattr(args, name) for name in ("format", "support", "issue", "since", "channel", "preset")}
    query = exports.parse_query(params, c.settings.issue_slugs)
    total = None if args.quiet else c.people.count_people(query.since)
    progress = Progress(total, "people", stderr, enabled=not args.quiet)
    out: TextIO = open(args.output, "w", encoding="utf-8", newline="") if args.output else stdout  # noqa: SIM115
    try:
        for chunk in exports.chunks(c, query, progress=progress):
            out.write(chunk)
    finally:
        if args.output:
            out.close()
        else:
            out.flush()
    progress.finish()
    return 0


def _users(args: argparse.Namespace, c: Container, stdout: TextIO, stderr: TextIO) -> int:
    phone = None
    if args.phone:
        try:
            phone = to_e164(args.phone)
        except InvalidPhoneNumber as exc:
            stderr.write(f"error: {exc}\n")
            return 2
    user, token = users.create_user(c.users, c.staff, c.clock, args.name, Role(args.role), phone=phone)
    stdout.write(f"created {user.role.value} {user.name} ({user.id})\n")
    stdout.write(f"token (shown once, keep it safe): {token}\n")
    return 0


def _import(args: argparse.Namespace, c: Container, stdout: TextIO, stderr: TextIO) -> int:
    with open(args.file, encoding="utf-8-sig", newline="") as handle:
        progress = Progress(None, "rows", stderr, enabled=not args.quiet)
        report = importer.import_people(c.people, c.clock, c.settings.issue_slugs, read_csv(handle), progress)
    progress.finish()
    stdout.write(f"created {report.created}, updated {report.updated}, skipped {len(report.skipped)}\n")
    for line, reason in report.skipped:
        stdout.write(f"  line {line}: {reason}\n")
    return 1 if report.skipped and not (report.created or report.updated) else 0


COMMANDS: dict[str, Callable[[argparse.Namespace, Container, TextIO, TextIO], int]] = {
    "export": _export,
    "users": _users,
    "import": _import,
}


def main(
    argv: Sequence[str] | None = None,
    container: Container | None = None,
    stdout: TextIO | None = None,
    stderr: TextIO | None = None,
) -> int:
    args = _parser().parse_args(argv)
    out, err = stdout or sys.stdout, stderr or sys.stderr
    if container is None:
        from chalicelib.bootstrap import build_container

        container = build_container()
    try:
        return COMMANDS[args.command](args, container, out, err)
    except HearbackError as exc:
        err.write(f"error: {exc}\n")
        return 2


if __name__ == "__main__":
    sys.exit(main())
