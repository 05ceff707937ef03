-- Rows of an incremental staging model whose raw row has left raw (an erasure or the retention
-- purge deleted it): removed before the run, matched on the lineage columns. A pre-hook; on a
-- first build or a full refresh it does nothing.
{% macro forget_rows_gone_from_raw(raw_relation) %}
    {%- if is_incremental() %}
        delete from {{ this }} as kept
        where not exists (
            select 1
            from {{ raw_relation }} as raw_rows
            where
                raw_rows._source_file = kept.source_file
                and raw_rows._row_number = kept.source_row_number
        )
    {%- endif %}
{% endmacro %}
