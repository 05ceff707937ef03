-- marts.segment_members with customer_id replaced by customer_pseudonym: segment sizes and
-- traits of members without knowing who they are (join pseudonymized.customer_profiles).
with

members as (

    select * from {{ ref('segment_members') }}

),

final as (

    select
        members.segment_id,
        pseudonymize(members.customer_id) as customer_pseudonym,
        members.channel
    from members

)

select * from final
