"""The command line: Typer apps that parse options, call the library, print, set exit codes."""
