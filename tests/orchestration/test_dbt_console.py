"""dbt's console output in a run: its per-node lines at DEBUG, the rest on the console."""

import io
import sys

from orchestration.dbt_console import DbtConsole, dbt_console

DBT_OUTPUT = """Running with dbt=1.11.16
Registered adapter: duckdb=1.11.1
Found 65 models, 3 seeds, 321 data tests

Concurrency: 1 threads (target='dev')

1 of 323 START sql incremental model staging.stg_consent__events ....... [RUN]
1 of 323 OK created sql incremental model staging.stg_consent__events .. [OK in 0.27s]
194 of 323 WARN 9 relationships_stg_shop__orders_account_id  [WARN 9 in 0.02s]
229 of 323 PASS not_null_stg_shop__orders_order_id ..................... [PASS in 0.02s]
fuzzy model: EM on birth_date: 1,234 pairs, 12.0% matches
Warning in test relationships_stg_shop__orders_account_id (models/staging/shop/x.yml)
Got 9 results, configured to warn if != 0

  compiled code at target/dbt_transform-51065a6/compiled/cdp/models/x.sql

Done. PASS=321 WARN=1 ERROR=0 SKIP=0 NO-OP=0 TOTAL=323
"""


def test_node_lines_go_to_debug_and_warnings_stay_on_the_console():
    out, debug = io.StringIO(), []
    console = DbtConsole(out, debug.append)
    # dagster-dbt writes a line and its newline; a split write is put together
    for chunk in (DBT_OUTPUT[:100], DBT_OUTPUT[100:]):
        console.write(chunk)
    shown = out.getvalue().splitlines()
    assert shown == [
        "Running with dbt=1.11.16",
        "Found 65 models, 3 seeds, 321 data tests",
        "194 of 323 WARN 9 relationships_stg_shop__orders_account_id  [WARN 9 in 0.02s]",
        "fuzzy model: EM on birth_date: 1,234 pairs, 12.0% matches",
        "Warning in test relationships_stg_shop__orders_account_id (models/staging/shop/x.yml)",
        "Got 9 results, configured to warn if != 0",
        "Done. PASS=321 WARN=1 ERROR=0 SKIP=0 NO-OP=0 TOTAL=323",
    ]
    assert len(debug) == 6
    assert debug[0].startswith("Registered adapter")
    assert debug[-1].startswith("compiled code at target/")


def test_the_block_redirects_standard_output_and_keeps_an_unfinished_line(capsys):
    debug = []
    with dbt_console(debug.append):
        sys.stdout.write("3 of 9 START sql table model marts.x ... [RUN]\n")
        sys.stdout.write("Done. PASS=9")
    print("after")
    assert capsys.readouterr().out == "Done. PASS=9\nafter\n"
    assert debug == ["3 of 9 START sql table model marts.x ... [RUN]"]
