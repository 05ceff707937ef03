{#- Every row satisfies `expression` (rows where `where_clause` holds, when given). Declared on
    a model or on one of its columns; the expression names the columns it needs. -#}
{% test expression_is_true(model, expression, column_name=none, where_clause=none) %}
    select *
    from {{ model }}
    where not coalesce(({{ expression }}), false)
    {%- if where_clause %} and ({{ where_clause }}){% endif %}
{% endtest %}
