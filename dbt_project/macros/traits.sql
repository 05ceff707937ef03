{#- A score from 1 to 5: 1 plus the number of thresholds the value reaches. `direction` is
    'at_least' when a higher value is better (orders, revenue), 'at_most' when a lower one is
    (days since the last order). A null value has no score. -#}
{% macro score_by_thresholds(column, thresholds, direction='at_least') -%}
    {%- set comparison = '>=' if direction == 'at_least' else '<=' -%}
    {%- if direction not in ('at_least', 'at_most') -%}
        {{ exceptions.raise_compiler_error("score_by_thresholds: direction must be 'at_least' or 'at_most', not '" ~ direction ~ "'") }}
    {%- endif -%}
    case when {{ column }} is not null then 1
        {%- for threshold in thresholds %} + case when {{ column }} {{ comparison }} {{ threshold }} then 1 else 0 end{% endfor %}
    end
{%- endmacro %}

{#- The named RFM segment of recency, frequency and monetary scores (1-5); `no_purchase` when
    the customer has no order that brought revenue. Every (R, F) pair falls in one segment. -#}
{% macro rfm_segment(recency, frequency, monetary) -%}
    case
        when {{ recency }} is null or {{ frequency }} is null then 'no_purchase'
        when {{ recency }} >= 4 and {{ frequency }} >= 4 then 'champions'
        when {{ recency }} = 3 and {{ frequency }} >= 4 then 'loyal'
        when {{ recency }} <= 2 and {{ frequency }} >= 4 and {{ monetary }} >= 4 then 'cannot_lose'
        when {{ recency }} <= 2 and {{ frequency }} >= 3 then 'at_risk'
        when {{ recency }} = 5 and {{ frequency }} = 1 then 'new_customers'
        when {{ recency }} = 4 and {{ frequency }} = 1 then 'promising'
        when {{ recency }} = 3 and {{ frequency }} = 1 then 'need_attention'
        when {{ recency }} >= 3 then 'potential_loyalists'
        when {{ recency }} = 2 then 'hibernating'
        else 'lost'
    end
{%- endmacro %}

{#- The daily activity measures of `alias` added up, under their own names: the columns that
    int_customer_activity_daily, activity_daily_by_country and activity_daily_totals share.
    Counts are BIGINT (a sum of integers is HUGEINT in DuckDB, which pandas reads as floats). -#}
{% macro activity_measures_summed(alias) -%}
    {%- for measure in ['web_event_count', 'product_view_count', 'order_count', 'cancelled_or_refunded_order_count'] %}
    cast(sum({{ alias }}.{{ measure }}) as bigint) as {{ measure }},
    {%- endfor %}
    cast(sum({{ alias }}.net_revenue_eur) as decimal(14, 2)) as net_revenue_eur,
    cast(sum({{ alias }}.email_open_count) as bigint) as email_open_count,
    cast(sum({{ alias }}.email_click_count) as bigint) as email_click_count
{%- endmacro %}
