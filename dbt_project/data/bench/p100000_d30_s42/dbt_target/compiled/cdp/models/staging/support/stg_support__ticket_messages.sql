-- One row per message of a help-desk ticket (ticket_id, message_number), from the ticket's
-- newest delivery; message_number is the message's place in the ticket's messages array.
with

latest_versions as (

    
    select versions.*
    from (
        select
            delta_rows.*,
            row_number() over (
                partition by
                    trim(cast(delta_rows.ticket_id as varchar))
                order by
                    delta_rows._export_date desc,
                    delta_rows._row_number desc
            ) as version_rank
        from "warehouse"."raw"."support__tickets" as delta_rows
        where
            nullif(trim(cast(delta_rows.ticket_id as varchar)), '') is not null
    ) as versions
    where versions.version_rank = 1


),

messages as (

    select
        latest_versions.ticket_id,
        latest_versions._export_date,
        latest_versions._source_file,
        latest_versions._row_number,
        latest_versions._loaded_at,
        generate_subscripts(cast(latest_versions.messages as json[]), 1) as message_number,
        unnest(cast(latest_versions.messages as json[])) as message
    from latest_versions

),

standardized as (

    select
        trim(messages.ticket_id) as ticket_id,
        cast(messages.message_number as integer) as message_number,
        lower(nullif(trim(messages.message ->> 'sender'), '')) as sender,
        try_cast(messages.message ->> 'sent_at' as timestamptz) as sent_at,
        nullif(trim(messages.message ->> 'text'), '') as message_text,
        messages._export_date as export_date,
        messages._source_file as source_file,
        messages._row_number as source_row_number,
        messages._loaded_at as loaded_at
    from messages

)

select * from standardized