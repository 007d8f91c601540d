"""The choices of the data flags, declared once: `data` applies them, the CLI lists them.

Kept apart from `data` (which imports pandas) so that `forecast --help` can list them at once.
"""

DUPLICATES = ("mean", "first", "last", "error")  # --duplicates: repeated timestamps
FILLS = ("interpolate", "ffill", "zero", "none")  # --fill: missing values after reindexing
AGGS = ("mean", "sum", "last", "first", "min", "max")  # --agg: how --resample aggregates
