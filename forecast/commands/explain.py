"""`forecast explain`: gates, feature importance and attention of a bundle, into its report."""

from __future__ import annotations

from typing import Annotated

import typer

from . import BundleArg, HistoryOpt, one_series, quiet_keras, series_option, user_errors


@user_errors
def explain(
    bundle: BundleArg,
    data: HistoryOpt = None,
    at: Annotated[
        str | None, typer.Option(help="Time the explained window ends at (default: the last row).")
    ] = None,
    series_given: Annotated[
        list[str] | None, series_option("The series of a several-series model to explain (default: the first "
                                      "long enough).")
    ] = None,
) -> None:
    """Show what the model does inside, and add the pictures to the bundle's report.

    Recomputes the LSTM's input, forget and output gates and cell state from its
    weights over the window ending at --at; measures permutation importance of each
    input feature and of recent vs older parts of the window on the test part; draws
    the attention weights for the attention architecture.

    Example: forecast explain models/energy_demand_demand --at "2000-08-20 18:00"
    """
    series = one_series(series_given)
    from rich.console import Console
    from rich.table import Table

    quiet_keras()
    from ..explain import explain_bundle

    console = Console()
    result = explain_bundle(bundle, data, at, series)
    console.print(f"Window ending {result['window_end_written']}; wrote {', '.join(result['files'])} "
                  f"into {bundle} ({result['report']})", highlight=False)
    table = Table(title=f"Permutation importance on the test part (base MAE {result['importance']['base_mae']:.4g})")
    table.add_column("input")
    table.add_column("MAE increase when shuffled", justify="right")
    for group in ("features", "lookback"):
        for name, value in result["importance"][group].items():
            table.add_row(name, f"{value:+.4g}")
    console.print(table)
    if result["notes"]:
        for note in result["notes"]:
            console.print(f"note: {note}", highlight=False)
