"""The golden record of each customer: every attribute chosen from its source records by the
rules of dbt_project/identity/survivorship.yml (cdp.identity.survivorship).

Values that must not describe one person never win: an email or phone the identity guards
set aside (a store's counter mailbox, a placeholder, a household mailbox, a landline) is
treated as empty here, like the invalid values staging already left out.

Each row carries `inputs_digest`, a digest of the rules and of every record the customer's
values were chosen from. A run chooses again only for the customers whose digest changed (new
customers, and those whose records were added, changed, moved or gone) and keeps the other rows
of its previous contents as they are; `--vars '{identity_from_scratch: true}'` (passed by
`make full-refresh`) chooses for every customer.
"""

import hashlib

from cdp.identity.engine import identity_session
from cdp.identity.survivorship import golden_sql, load_rules


def model(dbt, session):
    dbt.config(materialized="table")
    ids = identity_session(dbt, session)
    record_columns = ids.view(dbt.ref("int_identity__records"), "_golden_all_records")
    ids.view(dbt.ref("int_identity__identifier_guards"), "_golden_guards")
    ids.view(dbt.ref("int_identity__customer_ids"), "_golden_customers")
    # a table, not a view: the digests and each attribute's rule read it (nine reads)
    ids.con.execute(
        """
        create or replace temp table _golden_records as
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
    rules = load_rules(columns=set(record_columns))
    # what a customer's values depend on: the rules (as SQL) and its records, as they are now
    rules_digest = hashlib.sha256(golden_sql(rules, "r", "c").encode()).hexdigest()[:16]
    ids.con.execute(
        f"""
        create or replace temp table _golden_digests as
        select
            customers.customer_id,
            hash('{rules_digest}', bit_xor(hash(records)), count(*)) as inputs_digest
        from _golden_records as records
        inner join _golden_customers as customers using (record_key)
        group by customers.customer_id
        """
    )
    # the previous contents, with their digests (a table built without them is chosen in full)
    kept = None if ids.from_scratch else ids.previous("_golden_previous", "inputs_digest")
    # the customers to choose for: all, or those whose digest is not the one kept (with their
    # records, in a table: each rule reads it)
    if not kept:
        return ids.result(
            golden_sql(rules, "_golden_records", "_golden_customers", listed="_golden_digests")
        )
    ids.con.execute(
        f"""
        create or replace temp table _golden_changed as
        select digests.*
        from _golden_digests as digests
        anti join {kept} as kept
            on digests.customer_id = kept.customer_id
            and digests.inputs_digest = kept.inputs_digest;
        create or replace temp table _golden_changed_customers as
        select customers.*
        from _golden_customers as customers
        semi join _golden_changed using (customer_id);
        """
    )
    chosen = golden_sql(
        rules, "_golden_records", "_golden_changed_customers", listed="_golden_changed"
    )
    # the other customers' rows as the last run chose them (dbt writes the result to a table
    # of its own and only then replaces this one)
    return ids.result(
        f"""
        {chosen}
        union all by name
        select kept.*
        from {kept} as kept
        semi join _golden_digests as digests
            on kept.customer_id = digests.customer_id
            and kept.inputs_digest = digests.inputs_digest
        """
    )
