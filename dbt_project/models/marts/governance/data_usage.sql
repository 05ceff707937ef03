-- The relevance review of profile data: for every column of customer_profiles, how well it is
-- filled (in the profiles and in each source's records) and who uses it: the segments whose
-- rules name it (segments.yml), the other marts whose SQL names it (comments aside), and the
-- exposures that declare it (meta.attributes). An attribute no one uses is a candidate to stop
-- collecting. Usage is read from the dbt project itself when this model is built.
{%- set attributes = [] %}
{%- set usage = {} %}
{#- The attributes identity resolution reads from every source (int_identity__records). #}
{%- set identity_columns = [
    'first_name', 'last_name', 'email', 'phone', 'birth_date',
    'street', 'postcode', 'city', 'country_code', 'language_code',
] %}
{%- if execute %}
    {%- set profiles_id = 'model.' ~ project_name ~ '.customer_profiles' %}
    {%- set profiles_node = graph.nodes[profiles_id] %}
    {%- for name, column in profiles_node.columns.items() %}
        {%- do attributes.append({
            'name': name,
            'is_pii': (column.meta or {}).get('pii', false) or (column.config.meta if column.config is defined and column.config.meta is defined else {}).get('pii', false),
            'is_list': (column.data_type or '').endswith('[]'),
        }) %}
        {%- do usage.update({name: {'segments': [], 'models': [], 'exposures': []}}) %}
    {%- endfor %}
    {%- for node in graph.nodes.values() if node.resource_type == 'model' %}
        {%- if node.name == 'segment_members' %}
            {%- for segment in (node.config.meta or {}).get('segments', []) %}
                {%- for rule in segment.get('rules') or [] if rule.get('attribute') in usage %}
                    {%- if segment.name not in usage[rule.attribute]['segments'] %}
                        {%- do usage[rule.attribute]['segments'].append(segment.name) %}
                    {%- endif %}
                {%- endfor %}
            {%- endfor %}
        {%- elif 'marts' in node.fqn and node.name not in [this.name, 'customer_profiles'] %}
            {%- set code = modules.re.sub(
                '--[^\\n]*|\\{#.*?#\\}', '', node.raw_code, flags=modules.re.S
            ) %}
            {%- for name in usage if modules.re.search('\\b' ~ name ~ '\\b', code) %}
                {%- do usage[name]['models'].append(node.name) %}
            {%- endfor %}
        {%- endif %}
    {%- endfor %}
    {%- for exposure in graph.exposures.values() %}
        {%- for name in (exposure.meta or {}).get('attributes', []) if name in usage %}
            {%- do usage[name]['exposures'].append(exposure.name) %}
        {%- endfor %}
    {%- endfor %}
{%- endif %}
with

profiles as (

    select * from {{ ref('customer_profiles') }}

),

records as (

    select * from {{ ref('int_identity__records') }}

),

{%- if attributes %}

    profile_fill as (

        {%- for attribute in attributes %}
            select
                '{{ attribute.name }}' as attribute_name,
                'customer_profiles' as source,  -- noqa: RF04
                count(*) as record_count,
                {%- if attribute.is_list %}
                    count(*) filter (
                        where {{ array_length('profiles.' ~ attribute.name) }} > 0
                    ) as filled_count
                {%- else %}
                    count(profiles.{{ attribute.name }}) as filled_count
                {%- endif %}
            from profiles
            {%- if not loop.last %}
                union all
            {%- endif %}
        {%- endfor %}

    ),

    source_fill as (

        {%- for name in identity_columns if name in usage %}
            select
                '{{ name }}' as attribute_name,
                records.source,
                count(*) as record_count,
                count(records.{{ name }}) as filled_count
            from records
            group by records.source
            {%- if not loop.last %}
                union all
            {%- endif %}
        {%- endfor %}

    ),

    usage as (

        select * from (
            values
            {%- for attribute in attributes %}
                (
                    '{{ attribute.name }}',
                    {{ attribute.is_pii | string | lower }},
                    {{ text_array_of(usage[attribute.name]['segments'] | sort) }},
                    {{ text_array_of(usage[attribute.name]['models'] | sort) }},
                    {{ text_array_of(usage[attribute.name]['exposures'] | sort) }}
                ){% if not loop.last %},{% endif %}
            {%- endfor %}
        ) as declared (  -- noqa: AL05
            attribute_name, is_pii, used_by_segments, used_by_models, used_by_exposures
        )

    ),

{%- else %}

profile_fill as (

    select
        cast(null as string) as attribute_name,
        cast(null as string) as source,
        cast(0 as bigint) as record_count,
        cast(0 as bigint) as filled_count
    where false

),

source_fill as (

    select * from profile_fill

),

usage as (

    select
        cast(null as string) as attribute_name,
        false as is_pii,
        {{ text_array([]) }} as used_by_segments,
        {{ text_array([]) }} as used_by_models,
        {{ text_array([]) }} as used_by_exposures
    where false

),

{%- endif %}

fill as (

    select * from profile_fill
    union all
    select * from source_fill

),

final as (

    select
        fill.attribute_name,
        fill.source,
        usage.is_pii,
        fill.record_count,
        fill.filled_count,
        round(fill.filled_count / nullif(fill.record_count, 0), 4) as fill_rate,
        usage.used_by_segments,
        usage.used_by_models,
        usage.used_by_exposures,
        {{ array_length('usage.used_by_segments') }} + {{ array_length('usage.used_by_models') }}
        + {{ array_length('usage.used_by_exposures') }}
        = 0 as is_unused
    from fill
    inner join usage
        on fill.attribute_name = usage.attribute_name

)

select * from final
