from pakta.cli import main

main()
