"""Command-line entry point ``phonon-moment`` (filled in below)."""


def main(argv=None):
    raise SystemExit("phonon-moment: no subcommand yet")
