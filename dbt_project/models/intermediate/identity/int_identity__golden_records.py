"""The golden record of each customer: every attribute chosen from its source records by the
rules of dbt_project/identity/survivorship.yml (cdp.identity.survivorship).

Values that must not describe one person never win: an email or phone the identity guards
set aside (a store's counter mailbox, a placeholder, a household mailbox, a landline) is
treated as empty here, like the invalid values staging already left out.
"""

from cdp.identity.survivorship import golden_sql, load_rules


def model(dbt, session):
    dbt.config(materialized="table")
    records = dbt.ref("int_identity__records")
    records.create_view("_golden_all_records")
    dbt.ref("int_identity__identifier_guards").create_view("_golden_guards")
    dbt.ref("int_identity__customer_ids").create_view("_golden_customers")
    session.execute(
        """
        create or replace temp view _golden_records as
        select records.* replace (
            case when email_guard.identifier_key is null then records.email end as email,
            case when phone_guard.identifier_key is null then records.phone end as phone
        )
        from _golden_all_records as records
        left join _golden_guards as email_guard
            on email_guard.identifier_key = 'email:' || records.email
        left join _golden_guards as phone_guard
            on phone_guard.identifier_key = 'phone:' || records.phone
        """
    )
    rules = load_rules(columns=set(records.columns))
    return session.sql(golden_sql(rules, "_golden_records", "_golden_customers"))
