"""The `softphone` command: parsing, the call commands and how results are printed."""
