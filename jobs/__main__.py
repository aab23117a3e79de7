"""`python -m jobs` runs the scheduler process, like `tthc-monitor scheduler`."""

import sys

from service.cli import main

if __name__ == "__main__":
    sys.argv = [sys.argv[0], *sys.argv[1:], "scheduler"]
    main()
