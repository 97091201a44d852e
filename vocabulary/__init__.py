"""tidu's vocabulary: every figure, tier, certificate, program, state and outcome, declared once.

Pure: no database, no web framework. Rules, importers, exports and the backend read these
declarations instead of writing their own names, labels, units and bounds.
"""
