"""Retrieve (dense + lexical + hard filters), rank and explain with evidence."""
