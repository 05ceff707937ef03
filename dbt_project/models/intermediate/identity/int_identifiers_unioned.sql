-- The identifiers every record of every source that names a person carries, in one shape:
-- one row per record and identifier, from the registry of those sources (var person_sources
-- in dbt_project.yml, macro person_identifier_rows). A record seen several times (a browser's
-- events, a handle's posts) shows an identifier at its latest sighting, valid only if every
-- sighting was.
with

sightings as (

    {{ person_identifier_rows() }}

),

unioned as (

    select
        sightings.source,
        sightings.record_id,
        sightings.identifier_type,
        sightings.identifier_value,
        bool_and(sightings.is_identifier_valid) as is_identifier_valid,
        max(sightings.observed_at) as observed_at,
        bool_or(sightings.is_record_deleted) as is_record_deleted
    from sightings
    group by all

)

select * from unioned
