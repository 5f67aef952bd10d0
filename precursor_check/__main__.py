from precursor_check.cli import main

main()
