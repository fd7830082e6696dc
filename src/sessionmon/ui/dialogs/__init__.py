"""Workflow dialogs: each collects what the nurse entered and hands it to the controller."""
