"""The demo PKI (certomancer) and its TSA / OCSP / CRL services on loopback, for the demo
and the tests: installed with the `pakta[demo]` extra."""

from pakta.demo.pki import (
    CRL_URL,
    DEFAULT_PORT,
    TEST_CERTIFICATES,
    DemoPki,
    ServiceUrls,
    create_demo_pki,
    issue_certificate,
    issue_test_certificate,
    revoke,
    write_private,
)
from pakta.demo.services import free_port, serve, serve_forever, service_app

__all__ = [
    "CRL_URL", "DEFAULT_PORT", "TEST_CERTIFICATES", "DemoPki", "ServiceUrls",
    "create_demo_pki", "free_port", "issue_certificate", "issue_test_certificate",
    "revoke", "serve", "serve_forever", "service_app", "write_private",
]
