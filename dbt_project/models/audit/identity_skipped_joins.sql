-- Every join identity resolution refused, one row per identifier: those the guards set aside
-- (junk and household mailboxes, landlines, identifiers of too many records or of different
-- people) and those a per-profile limit split off (records of one identifier that ended up in
-- different profiles). Counts only; the identifier is named by type and a hash, not its value.
with

guards as (

    select * from {{ ref('int_identity__identifier_guards') }}

),

identifiers as (

    select * from {{ ref('int_identity__identifiers') }}

),

clusters as (

    select * from {{ ref('int_identity__clusters') }}

),

placed as (

    -- Each record of an identifier no guard set aside, with the profile it ended up in: only
    -- the records that hold an identifier a limit split off. An unguarded identifier joins
    -- all its records into one component, so its records end in several profiles only when
    -- a limit split it off, and then each of them names a split identifier (`split_off_by`).
    -- (Reading every record's identifiers took 11-15 s at a million persons, this 2.4 s.)
    select
        identifiers.identifier_key,
        identifiers.identifier_type,
        identifiers.record_key,
        clusters.cluster_key
    from identifiers
    inner join clusters
        on identifiers.record_key = clusters.record_key
    anti join guards
        on identifiers.identifier_key = guards.identifier_key
    where clusters.split_off_by is not null

),

spanning as (

    -- The identifiers whose records are in more than one profile, found without counting
    -- (at a million persons the distinct counts over every identifier took most of the time).
    select placed.identifier_key
    from placed
    group by placed.identifier_key
    having min(placed.cluster_key) <> max(placed.cluster_key)

),

split_by_limits as (

    select
        placed.identifier_key,
        any_value(placed.identifier_type) as identifier_type,
        'profile_limit' as skip_reason,
        count(distinct placed.record_key) as records,
        count(distinct placed.cluster_key) as profiles
    from placed
    semi join spanning
        on placed.identifier_key = spanning.identifier_key
    group by placed.identifier_key

),

guarded as (

    select
        guards.identifier_key,
        guards.identifier_type,
        guards.guard_reason as skip_reason,
        guards.record_count as records,
        count(distinct clusters.cluster_key) as profiles
    from guards
    inner join identifiers
        on guards.identifier_key = identifiers.identifier_key
    inner join clusters
        on identifiers.record_key = clusters.record_key
    group by guards.identifier_key, guards.identifier_type, guards.guard_reason, guards.record_count

),

final as (

    select
        md5(unioned.identifier_key) as identifier_hash,
        unioned.identifier_type,
        unioned.skip_reason,
        unioned.records,
        unioned.profiles
    from (
        select * from guarded
        union all
        select * from split_by_limits
    ) as unioned

)

select * from final
