import pytest

from engine.api.selectors import (
    SelectorError,
    from_label_selector,
    from_set,
    parse,
    parse_fields,
)


@pytest.mark.parametrize(
    "selector, labels, expected",
    [
        ({"matchLabels": {"app": "web"}}, {"app": "web", "tier": "fe"}, True),
        ({"matchLabels": {"app": "web"}}, {"app": "api"}, False),
        ({"matchExpressions": [{"key": "env", "operator": "In", "values": ["a", "b"]}]}, {"env": "b"}, True),
        ({"matchExpressions": [{"key": "env", "operator": "In", "values": ["a"]}]}, {}, False),
        # NotIn matches when the key is absent.
        ({"matchExpressions": [{"key": "env", "operator": "NotIn", "values": ["prod"]}]}, {}, True),
        ({"matchExpressions": [{"key": "env", "operator": "NotIn", "values": ["prod"]}]}, {"env": "prod"}, False),
        ({"matchExpressions": [{"key": "gpu", "operator": "Exists"}]}, {"gpu": ""}, True),
        ({"matchExpressions": [{"key": "gpu", "operator": "DoesNotExist"}]}, {"gpu": "1"}, False),
        # matchLabels and matchExpressions are ANDed.
        (
            {"matchLabels": {"app": "web"}, "matchExpressions": [{"key": "v", "operator": "In", "values": ["2"]}]},
            {"app": "web", "v": "1"},
            False,
        ),
        # The empty selector matches everything.
        ({}, {"anything": "x"}, True),
    ],
)
def test_label_selector_semantics(selector, labels, expected):
    assert from_label_selector(selector).matches(labels) is expected


def test_nil_selector_matches_nothing_and_service_selector_is_equality_only():
    assert from_label_selector(None).matches({}) is False
    assert from_set({}).matches({"app": "web"}) is False
    assert from_set({"app": "web"}).matches({"app": "web", "x": "y"}) is True
    assert from_set({"app": "web"}).matches({"app": "api"}) is False


def test_kubectl_selector_strings():
    sel = parse("app=web, tier in (fe,be),!legacy,env!=prod,gpu")
    assert sel.matches({"app": "web", "tier": "be", "gpu": "1"})
    assert not sel.matches({"app": "web", "tier": "be", "gpu": "1", "legacy": "y"})
    assert not sel.matches({"app": "web", "tier": "db", "gpu": "1"})
    assert not sel.matches({"app": "web", "tier": "fe", "gpu": "1", "env": "prod"})
    assert str(sel) == "app=web,tier in (be,fe),!legacy,env!=prod,gpu"
    assert sel.equality_labels() == {"app": "web"}
    assert parse("").matches({"x": "y"})


@pytest.mark.parametrize("bad", ["app==", "in (a)", "app in a", "app=web,,", "a b"])
def test_bad_selector_strings_are_refused(bad):
    with pytest.raises(SelectorError):
        parse(bad)


def test_bad_operator_is_refused():
    with pytest.raises(SelectorError, match="not a valid label selector operator"):
        from_label_selector({"matchExpressions": [{"key": "a", "operator": "Near"}]})


def test_field_selectors():
    pod = {"metadata": {"name": "p", "namespace": "default"}, "spec": {"nodeName": "node-1"},
           "status": {"phase": "Running"}}
    reqs = parse_fields("spec.nodeName=node-1,status.phase!=Pending")
    assert all(r.matches(pod) for r in reqs)
    assert not parse_fields("metadata.name==q")[0].matches(pod)
    with pytest.raises(SelectorError):
        parse_fields("metadata.name")
