"""Guided lessons on the demo bundle: make one edit, run one check inside the container,
read what the kernel did."""
