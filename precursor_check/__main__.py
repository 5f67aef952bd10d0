"""`python -m precursor_check`: the same command line as `precheck`."""

from precursor_check.cli import main

main()
