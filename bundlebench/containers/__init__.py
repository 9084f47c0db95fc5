"""Containers of a runtime root, as the workbench sees them: launch, attach, list."""
