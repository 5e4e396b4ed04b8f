"""Thin typer CLI over the library: parse options, call one library function, render."""
