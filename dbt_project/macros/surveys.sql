{#- Survey answers typed by people to the platform's value for the question, through the
    survey_answers seed: the answer is looked up by the same key the seed is written with
    (lookup_key: lower case, `ß` as `ss`, accents stripped, other runs as one space). Null when
    the answer is empty or not in the seed: the caller keeps it as written and flags it. -#}
{% macro survey_answer(question, column) -%}
    (
        select survey_answers.value
        from {{ ref('survey_answers') }} as survey_answers
        where survey_answers.question = '{{ question }}'
            and survey_answers.answer_key = {{ lookup_key(column) }}
    )
{%- endmacro %}
