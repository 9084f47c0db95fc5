"""The Textual app. Importing this package does not import textual: the CLI stays fast."""
