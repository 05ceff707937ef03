-- The identifiers each help-desk ticket carries (email, phone, and on the social channel the
-- customer's handle), one row per ticket and identifier.
{{ identifier_rows(
    relation=ref('stg_support__tickets'),
    source_name='support',
    record_id='ticket_id',
    identifiers=[
        {'type': 'email', 'value': 'email', 'is_valid': 'is_email_valid'},
        {'type': 'phone', 'value': 'phone'},
        {'type': 'social_handle', 'value': 'social_handle'},
    ],
    observed_at='opened_at',
) }}
