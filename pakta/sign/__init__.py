"""PAdES signatures through pyHanko: signer backends (`pakta.sign.backends`), the checks
before signing (`prepare`), the stamp (`stamp`), one document (`engine`), the batch
(`batch`, `workers`) and the timestamp renewal (`renew`).

Backends: a PKCS#12 file, a PEM key with its certificate and chain, or a PKCS#11 token
(RSA or ECDSA). Levels: B-B, B-T (RFC 3161 timestamp), B-LT (plus the OCSP responses /
CRLs and certificates in the DSS), B-LTA (plus a document timestamp, renewed later with
`renew_timestamps`). The secretariat's certification signature allows only form filling
and signing afterwards; each approval signature locks every field but the slots still to
sign after it, and the profile's slot order is enforced.

Importing this package imports neither pyHanko nor the backends: `pakta --help` stays
fast. Import from the submodules.
"""
