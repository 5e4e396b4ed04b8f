from costbasis.cli.app import main

main()
