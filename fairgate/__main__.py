from fairgate.app.cli import main

main()
