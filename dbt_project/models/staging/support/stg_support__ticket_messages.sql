-- One row per message of a help-desk ticket (ticket_id, message_number), from the ticket's
-- newest delivery; message_number is the message's place in the ticket's messages array.
with

latest_versions as (

    {{ delta_latest(source('support', 'tickets'), 'ticket_id') }}

),

messages as (

    select
        latest_versions.ticket_id,
        latest_versions._export_date,
        latest_versions._source_file,
        latest_versions._row_number,
        latest_versions._loaded_at,
        {{ json_array_numbered('latest_versions.messages', 'message_number', 'message') }}
    from latest_versions

),

standardized as (

    select
        trim(messages.ticket_id) as ticket_id,
        cast(messages.message_number as integer) as message_number,
        lower(nullif(trim({{ json_text('messages.message', '$.sender') }}), '')) as sender,
        try_cast({{ json_text('messages.message', '$.sent_at') }} as {{ timestamptz() }})
            as sent_at,
        nullif(trim({{ json_text('messages.message', '$.text') }}), '') as message_text,
        messages._export_date as export_date,
        messages._source_file as source_file,
        messages._row_number as source_row_number,
        messages._loaded_at as loaded_at
    from messages

)

select * from standardized
