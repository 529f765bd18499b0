from scent.cli import main

main()
