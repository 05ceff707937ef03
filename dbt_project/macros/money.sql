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
