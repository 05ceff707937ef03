"""Reading segments.yml: the real file, and the declarations the exports must refuse."""

from __future__ import annotations

import copy

import pytest

from cdp.activation.segments import (
    SEGMENTS_FILE,
    Rule,
    SegmentDefinitionError,
    load_audiences,
    parse_audiences,
)

DOCUMENT = {
    "version": 2,
    "models": [
        {
            "name": "segment_members",
            "config": {
                "meta": {
                    "channels": {
                        "email": {"purposes": ["email_marketing"], "contact": ["email"]},
                        "ads": {
                            "purposes": ["third_party_sharing"],
                            "contact": ["email", "phone"],
                            "hashed": True,
                        },
                    },
                    "segments": [
                        {
                            "name": "champions",
                            "description": "Best buyers.\n",
                            "channel": "email",
                            "owner": "crm-marketing",
                            "rules": [
                                {"attribute": "rfm_segment", "op": "=", "value": "champions"}
                            ],
                        },
                        {
                            "name": "veggie_seed",
                            "description": "Vegetarian promoters.",
                            "channel": "ads",
                            "owner": "performance-marketing",
                            "rules": [
                                {
                                    "attribute": "diet_tags",
                                    "op": "contains_any",
                                    "value": ["vegetarian", "vegan"],
                                },
                                {"attribute": "phone", "op": "not_null"},
                            ],
                        },
                    ],
                }
            },
        }
    ],
}


def _document():
    return copy.deepcopy(DOCUMENT)


def _meta(document):
    return document["models"][0]["config"]["meta"]


def test_the_real_segments_file_loads():
    audiences = load_audiences(SEGMENTS_FILE)
    assert {"email", "sms", "ads"} <= set(audiences.channels)
    assert audiences.channels["ads"].hashed
    assert audiences.channels["email"].purposes == ("email_marketing",)
    names = [s.name for s in audiences.segments]
    assert "lapsed_vegetarian_subscribers" in names
    assert len(names) == len(set(names))
    for segment in audiences.segments:
        assert segment.channel in audiences.channels
        assert segment.description and segment.owner and segment.rules


def test_a_valid_document_gives_channels_and_segments_in_file_order():
    audiences = parse_audiences(_document())
    assert [s.name for s in audiences.segments] == ["champions", "veggie_seed"]
    champions = audiences.segments[0]
    assert champions.description == "Best buyers."
    assert champions.rules == (Rule("rfm_segment", "=", "champions"),)
    seed = audiences.segments[1]
    assert seed.rules[0].value == ("vegetarian", "vegan")
    assert seed.definition()["rules"] == [
        {"attribute": "diet_tags", "op": "contains_any", "value": ["vegetarian", "vegan"]},
        {"attribute": "phone", "op": "not_null"},
    ]
    assert audiences.channels["ads"].contact == ("email", "phone")


def test_a_segment_on_an_undeclared_channel_is_refused_by_name():
    document = _document()
    _meta(document)["segments"][1]["channel"] = "fax"
    with pytest.raises(SegmentDefinitionError, match="segment 'veggie_seed'.*'fax'"):
        parse_audiences(document)


def test_duplicate_segment_names_are_refused():
    document = _document()
    _meta(document)["segments"][1]["name"] = "champions"
    with pytest.raises(SegmentDefinitionError, match="'champions' is declared twice"):
        parse_audiences(document)


@pytest.mark.parametrize("purposes", [None, []])
def test_a_channel_without_purposes_is_refused(purposes):
    document = _document()
    _meta(document)["channels"]["email"]["purposes"] = purposes
    with pytest.raises(SegmentDefinitionError, match="channel 'email' has no consent purposes"):
        parse_audiences(document)


def test_an_unknown_purpose_is_refused():
    document = _document()
    _meta(document)["channels"]["email"]["purposes"] = ["email_marketting"]
    with pytest.raises(SegmentDefinitionError, match="unknown consent purpose.*email_marketting"):
        parse_audiences(document)


def test_a_hashed_channel_only_takes_columns_it_can_normalize():
    document = _document()
    _meta(document)["channels"]["ads"]["contact"] = ["email", "postal_code"]
    with pytest.raises(SegmentDefinitionError, match="channel 'ads' is hashed.*postal_code"):
        parse_audiences(document)


def test_a_channel_without_contact_columns_is_refused():
    document = _document()
    _meta(document)["channels"]["email"]["contact"] = []
    with pytest.raises(SegmentDefinitionError, match="channel 'email' has no contact columns"):
        parse_audiences(document)


@pytest.mark.parametrize(
    ("rule", "message"),
    [
        ({"attribute": "rfm_segment", "op": "like", "value": "c%"}, "unknown operator 'like'"),
        ({"attribute": "rfm_segment", "op": "in", "value": "champions"}, "non-empty list"),
        ({"attribute": "rfm_segment", "op": "="}, "has no value"),
        ({"op": "=", "value": 1}, "names no profile column"),
    ],
)
def test_malformed_rules_are_refused_naming_the_segment(rule, message):
    document = _document()
    _meta(document)["segments"][0]["rules"] = [rule]
    with pytest.raises(SegmentDefinitionError, match=f"segment 'champions'.*{message}"):
        parse_audiences(document)


def test_a_segment_without_rules_or_owner_is_refused():
    document = _document()
    _meta(document)["segments"][0]["rules"] = []
    with pytest.raises(SegmentDefinitionError, match="'champions' has no rules"):
        parse_audiences(document)
    document = _document()
    del _meta(document)["segments"][0]["owner"]
    with pytest.raises(SegmentDefinitionError, match="'champions' has no owner"):
        parse_audiences(document)


def test_a_segment_name_must_be_usable_as_a_file_name():
    document = _document()
    _meta(document)["segments"][0]["name"] = "../champions"
    with pytest.raises(SegmentDefinitionError, match="segment #1"):
        parse_audiences(document)


def test_a_file_without_the_segment_model_is_refused(tmp_path):
    path = tmp_path / "segments.yml"
    path.write_text("version: 2\nmodels:\n  - name: other\n", encoding="utf-8")
    with pytest.raises(SegmentDefinitionError, match="no model named segment_members"):
        load_audiences(path)
    path.write_text("models: [\n", encoding="utf-8")
    with pytest.raises(SegmentDefinitionError, match="not valid YAML"):
        load_audiences(path)
