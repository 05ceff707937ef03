-- The identifiers each list membership carries (subscriber id, email), one row per
-- membership and identifier.
{{ identifier_rows(
    relation=ref('stg_newsletter__subscribers'),
    source_name='newsletter',
    record_id='subscriber_id',
    identifiers=[
        {'type': 'subscriber_id', 'value': 'subscriber_id'},
        {'type': 'email', 'value': 'email', 'is_valid': 'is_email_valid'},
    ],
    observed_at='coalesce(unsubscribed_at, opted_in_at)',
    is_deleted='is_deleted',
) }}
