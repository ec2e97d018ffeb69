"""`BAMSOS_AMQP_URL` names one broker or every node of a cluster, comma-separated: parsed in one place
(settings), read the same way by the services, `bamsos setup`, the staff tools and the gateway."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from shared.devtools.sandbox import _with_vhost
from shared.runtime.settings import Settings, amqp_urls
from shared.runtime.worker import amqp

NODES = "amqp://guest:guest@10.0.0.1:5672/%2F,amqp://guest:guest@10.0.0.2:5672/%2F"


def test_one_url_is_a_list_of_one() -> None:
    assert amqp_urls("amqp://guest:guest@127.0.0.1:5672/%2F") == ["amqp://guest:guest@127.0.0.1:5672/%2F"]


def test_a_cluster_lists_its_nodes_in_order_blanks_and_a_trailing_comma_ignored() -> None:
    urls = amqp_urls(" amqp://a@n1:5672/x , amqps://a@n2:5671/x,\n amqp://a@n3/x ,")
    assert urls == ["amqp://a@n1:5672/x", "amqps://a@n2:5671/x", "amqp://a@n3/x"]


@pytest.mark.parametrize("value", ["", " , ", "http://n1:15672/", "amqp://a@n1/x,n2:5672"])
def test_settings_refuse_an_empty_list_or_anything_but_amqp_urls_at_start(value: str) -> None:
    with pytest.raises(ValidationError, match="amqp_url"):
        Settings(amqp_url=value)


def test_the_refusal_names_the_bad_entry_by_its_host_not_its_credentials() -> None:
    with pytest.raises(ValueError, match="not an AMQP URL") as refused:
        amqp_urls("amqp://a@n1/x,ampq://officer:s3cret@n2/x")
    assert "'n2/x'" in str(refused.value) and "s3cret" not in str(refused.value)


def test_settings_keep_the_list_as_given() -> None:
    assert Settings(amqp_url=NODES).amqp_url == NODES


def test_the_user_that_stamps_a_staff_result_is_the_clusters_one() -> None:
    assert amqp.username(NODES) == "guest"
    assert amqp.username("amqp://staff.admin:pw@n1/%2F") == "staff.admin"


def test_a_throwaway_vhost_is_set_on_every_node_of_the_list() -> None:
    assert _with_vhost(NODES, "bamsos-test-1") == (
        "amqp://guest:guest@10.0.0.1:5672/bamsos-test-1,amqp://guest:guest@10.0.0.2:5672/bamsos-test-1"
    )
    assert _with_vhost("amqp://g:g@h:1/%2F", "a/b") == "amqp://g:g@h:1/a%2Fb"
