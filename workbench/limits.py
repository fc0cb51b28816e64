"""Memory limits shared by layers, in a module that imports nothing.

Why here and not beside their users: a profile (:mod:`workbench.engine.profile`) needs the
trace's default budget, and importing it from :mod:`workbench.trace.record` ran the trace
package and everything it loads, on every command that only reads a profile.
"""

#: How much trace a recorder keeps before it drops the oldest records (8 MiB). The one
#: default: the profile field ``trace_budget_bytes`` starts from it and the user's setting wins.
DEFAULT_TRACE_BUDGET_BYTES = 8 * 1024 * 1024
