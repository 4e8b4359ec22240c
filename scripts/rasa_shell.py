"""``make shell``: the rasa server with the terminal channel (``channels.shell``) and nothing
else, without libraries' deprecation notices at the prompt.

Usage: ``python -m scripts.rasa_shell [rasa run options]`` (``make shell`` does it).
"""

from __future__ import annotations

import sys

from scripts.rasa_cli import main as rasa_cli

CONNECTOR = "channels.shell.ShellInput"


def main() -> None:
    rasa_cli(["run", "--connector", CONNECTOR, *sys.argv[1:]])


if __name__ == "__main__":
    main()
