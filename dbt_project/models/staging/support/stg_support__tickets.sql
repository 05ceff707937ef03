-- One row per help-desk ticket (ticket_id), its newest delivery winning.
-- A table, not a view: phone_to_e164 and split_full_name are Python functions that exist only
-- on dbt's connections, so a view calling them could not be read by anyone else.
{{ config(materialized='table') }}

with

latest_versions as (

    {{ delta_latest(source('support', 'tickets'), 'ticket_id') }}

),

messages as (

    -- One row per message of the newest version, for the ticket's first agent response.
    select
        latest_versions.ticket_id,
        {{ json_array_elements('latest_versions.messages') }} as message
    from latest_versions

),

first_responses as (

    select
        messages.ticket_id,
        min(try_cast({{ json_text('messages.message', '$.sent_at') }} as {{ timestamptz() }}))
            as first_response_at
    from messages
    where lower(trim({{ json_text('messages.message', '$.sender') }})) = 'agent'
    group by messages.ticket_id

),

customers as (

    -- The customer object's fields, and the phone function once per row.
    select
        latest_versions.*,
        lower(trim(latest_versions.channel)) as channel_code,
        {{ json_text('latest_versions.customer', '$.email') }} as customer_email,
        {{ json_text('latest_versions.customer', '$.phone') }} as customer_phone,
        nullif(trim({{ json_text('latest_versions.customer', '$.name') }}), '') as customer_name,
        {{ phone_to_e164(
            json_text('latest_versions.customer', '$.phone'), 'cast(null as string)'
        ) }}
            as phone_e164
    from latest_versions

),

with_names as (

    -- On the social channel the name field holds the customer's handle, not a person's name.
    select
        customers.*,
        case
            when coalesce(customers.channel_code, '') <> 'social'
                then {{ split_full_name('customers.customer_name') }}
        end as full_name
    from customers

),

standardized as (

    select
        trim(with_names.ticket_id) as ticket_id,
        with_names.channel_code as channel,
        {{ standardize_email('with_names.customer_email') }} as email,
        {{ is_valid_email('with_names.customer_email') }} as is_email_valid,
        with_names.phone_e164 as phone,
        nullif(trim(with_names.customer_phone), '') as phone_as_written,
        with_names.phone_e164 is not null as is_phone_valid,
        {{ struct_field('with_names.full_name', 'first_name') }} as first_name,
        {{ struct_field('with_names.full_name', 'last_name') }} as last_name,
        case
            when with_names.channel_code = 'social'
                then {{ canonical_handle('with_names.customer_name') }}
        end as social_handle,
        with_names.customer_name as name_as_written,
        with_names.opened_at,
        with_names.closed_at,
        lower(nullif(trim(with_names.status), '')) as ticket_status,
        lower(nullif(trim(with_names.topic), '')) as topic,
        with_names.csat as csat_score,
        coalesce(with_names.csat not between 1 and 5, false) as is_csat_out_of_range,
        coalesce(cast(json_array_length(with_names.messages) as integer), 0) as message_count,
        first_responses.first_response_at,
        with_names._export_date as export_date,
        with_names._source_file as source_file,
        with_names._row_number as source_row_number,
        with_names._loaded_at as loaded_at
    from with_names
    left join first_responses
        on with_names.ticket_id = first_responses.ticket_id

)

select * from standardized
