-- Pairs of records the fuzzy matcher judged to be one person (filled in by the probabilistic
-- matcher; empty until it runs).
select
    cast(null as varchar) as left_record_key,
    cast(null as varchar) as right_record_key,
    cast(null as double) as match_probability
where false
