-- Dated exchange rates to EUR, each valid until the next rate of its currency.
with

rates as (

    select * from "warehouse"."reference"."fx_rates"

),

with_validity as (

    select
        upper(trim(rates.currency_code)) as currency_code,
        rates.valid_from,
        coalesce(
            lead(rates.valid_from) over (
                partition by upper(trim(rates.currency_code)) order by rates.valid_from
            ),
            date '9999-12-31'
        ) as valid_to,
        rates.units_per_eur
    from rates

)

select * from with_validity