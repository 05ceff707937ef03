-- The identifiers each recipe-box subscription carries (email, phone), one row per
-- subscription and identifier.
{{ identifier_rows(
    relation=ref('stg_subscriptions__subscriptions'),
    source_name='subscriptions',
    record_id='subscription_id',
    identifiers=[
        {'type': 'email', 'value': 'email', 'is_valid': 'is_email_valid'},
        {'type': 'phone', 'value': 'phone'},
    ],
    observed_at='coalesce(cancelled_at, started_at)',
    is_deleted='is_deleted',
) }}
