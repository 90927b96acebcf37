"""Exchanges with holders: challenges for presentations, and what a presentation is evaluated for
(pathways and their stacked awards). The orchestration between the HTTP routes and the pure domain code."""
