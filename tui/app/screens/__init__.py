"""Modal dialogs: confirm, save, open, paste and help."""
