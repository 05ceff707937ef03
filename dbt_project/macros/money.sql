{#- Money: an amount in its currency to EUR at the rate valid on the given day, from the
    fx_rates seed (units of the currency per 1 EUR, the way reference rates are quoted).
    `rates` is the alias of a join on stg_reference__fx_rates (see join_fx_rate). Null when no
    rate covers the day; the caller flags it. -#}
{% macro join_fx_rate(rates, currency, day) -%}
    left join {{ ref('stg_reference__fx_rates') }} as {{ rates }}
        on {{ rates }}.currency_code = upper(trim({{ currency }}))
        and cast({{ day }} as date) >= {{ rates }}.valid_from
        and cast({{ day }} as date) < {{ rates }}.valid_to
{%- endmacro %}

{% macro to_eur(amount, rates) -%}
    cast(round({{ amount }} / {{ rates }}.units_per_eur, 2) as decimal(14, 2))
{%- endmacro %}

{#- An amount in EUR (two decimals) divided by a count, rounded half away from zero to the cent,
    in whole cents on both engines: DuckDB divides decimals as doubles and Spark exactly, so a
    half cent (81.57 / 2) rounded down on one and up on the other. Null when the count is 0. -#}
{% macro eur_divided(amount, count) -%}
    {%- set cents = 'cast(' ~ amount ~ ' * 100 as bigint)' -%}
    {%- set divisor = 'nullif(cast(' ~ count ~ ' as bigint), 0)' -%}
    {%- set doubled = '2 * ' ~ cents ~ ' + cast(sign(' ~ cents ~ ') as bigint) * ' ~ divisor -%}
    cast(cast({{ int_div(doubled, '2 * ' ~ divisor) }} as decimal(18, 0)) / 100 as decimal(14, 2))
{%- endmacro %}
