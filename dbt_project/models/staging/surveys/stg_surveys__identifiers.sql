-- The identifiers survey answers carry (the respondent's email), one row per response.
with

nps as (

    {{ identifier_rows(
        relation=ref('stg_surveys__nps'),
        source_name='surveys_nps',
        record_id='nps_response_id',
        identifiers=[{'type': 'email', 'value': 'email', 'is_valid': 'is_email_valid'}],
        observed_at='submitted_at',
    ) }}

),

preferences as (

    {{ identifier_rows(
        relation=ref('stg_surveys__preferences'),
        source_name='surveys_preferences',
        record_id='survey_response_id',
        identifiers=[{'type': 'email', 'value': 'email', 'is_valid': 'is_email_valid'}],
        observed_at='submitted_on',
    ) }}

),

unioned as (

    select * from nps
    union all
    select * from preferences

)

select * from unioned
