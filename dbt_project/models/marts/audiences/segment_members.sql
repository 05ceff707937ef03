-- One row per segment and member, built from the segment rules in segments.yml (this model's
-- meta). A rule that does not hold (including one on an empty attribute) leaves the customer
-- out. Consent is applied later, per channel, by the audience exports.
{#- Unit tests cannot see a model's meta: they pass their own definitions as this var. #}
{%- set definitions = var('audience_definitions_under_test', none) or config.get('meta') or {} %}
{%- set segments = definitions.get('segments') or [] %}
{%- set channels = definitions.get('channels') or {} %}
{%- set profile_columns = none %}
{%- if execute %}
    {#- The graph is empty inside unit tests: rules then go unchecked against the columns. #}
    {%- set profiles_node = (graph.get('nodes') or {}).get('model.' ~ project_name ~ '.customer_profiles') %}
    {%- set profile_columns = profiles_node.columns.keys() | list if profiles_node else none %}
{%- endif %}
with

profiles as (

    select * from {{ ref('customer_profiles') }}

),

{%- for segment in segments %}
{%- if segment.get('channel') not in channels %}
    {{ exceptions.raise_compiler_error("segment " ~ segment.get('name') ~ ": channel '" ~ segment.get('channel') ~ "' is not one of " ~ (channels.keys() | list)) }}
{%- endif %}

segment_{{ loop.index }} as (

    select
        '{{ segment.name }}' as segment_id,
        profiles.customer_id,
        '{{ segment.channel }}' as channel
    from profiles
    where
        {%- for rule in segment.get('rules') or [] %}
        {% if not loop.first %}and {% endif %}coalesce({{ segment_rule_condition(segment.name, rule, profile_columns) }}, false)
        {%- else %}
        true
        {%- endfor %}

),
{%- endfor %}

unioned as (

    {%- for segment in segments %}
    select * from segment_{{ loop.index }}
    {%- if not loop.last %}
    union all
    {%- endif %}
    {%- else %}
    select
        cast(null as string) as segment_id,
        cast(null as string) as customer_id,
        cast(null as string) as channel
    where false
    {%- endfor %}

)

select * from unioned
