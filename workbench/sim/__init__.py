"""Simulated MicroPython boards: firmware, wire and a separate process that runs the code."""
