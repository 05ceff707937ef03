-- Rows of an incremental model whose upstream row is gone: an erasure or the retention purge
-- deleted it from raw, or staging took another copy of the record. Removed before the run;
-- `matches` maps each upstream column to the column of this model that must equal it (the
-- lineage columns, and the key where the upstream keeps one row per key). A pre-hook; on a
-- first build or a full refresh it does nothing.
{% macro forget_rows_gone_from(upstream, matches) %}
    {%- if is_incremental() %}
        delete from {{ this }} as kept
        where not exists (
            select 1
            from {{ upstream }} as upstream_rows
            where
                {%- for upstream_column, kept_column in matches.items() %}
                {% if not loop.first %}and {% endif -%}
                upstream_rows.{{ upstream_column }} = kept.{{ kept_column }}
                {%- endfor %}
        )
    {%- endif %}
{% endmacro %}
