"""Function views by page area. Each: authorise (permissions.py), call a service or selector, render."""
