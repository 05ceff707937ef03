-- The identifiers each CRM contact carries (email, phone, mobile, Instagram handle), one row per
-- contact and identifier, in the shape identity resolution reads.
{{ identifier_rows(
    relation=ref('stg_crm__contacts'),
    source_name='crm',
    record_id='contact_id',
    identifiers=[
        {'type': 'email', 'value': 'email', 'is_valid': 'is_email_valid'},
        {'type': 'phone', 'value': 'phone'},
        {'type': 'phone', 'value': 'mobile'},
        {'type': 'social_handle', 'value': 'instagram_handle'},
    ],
    observed_at='updated_at',
    is_deleted='is_deleted',
) }}
