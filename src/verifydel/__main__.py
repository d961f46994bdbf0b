from verifydel.cli import main

main()
