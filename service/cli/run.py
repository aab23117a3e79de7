"""`python -m service.cli.run` is the same as the `tthc-monitor` command."""

from service.cli import main

if __name__ == "__main__":
    main()
