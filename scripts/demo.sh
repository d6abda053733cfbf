#!/usr/bin/env bash
# The sample batch end to end: a workspace, a demo PKI with local timestamp and OCSP
# services, every document rendered, signed by its head, co-signed by the witness,
# collected, verified, and the secretariat's status at the end.
# SAMPLE=national (make demo SAMPLE=national): a head for each of the 552 regions.
set -euo pipefail
cd "$(dirname "$0")/.."
PAKTA="$PWD/.venv/bin/pakta"
DEMO="$PWD/demo"

rm -rf "$DEMO"
"$PAKTA" init "$DEMO" --sample "${SAMPLE:-quick}" >/dev/null  # make demo SAMPLE=national
cd "$DEMO"
echo "== roster"; "$PAKTA" roster check roster.csv
echo "== render"; "$PAKTA" render
echo "== demo PKI (keys generated now, never committed)"; "$PAKTA" pki demo
export PAKTA_PASSPHRASE_FILE="$DEMO/pki/passphrase.txt"

"$PAKTA" pki serve --port 8765 >pki/serve.log 2>&1 &
SERVER=$!
trap 'kill $SERVER 2>/dev/null || true' EXIT
TSA=http://127.0.0.1:8765/tsa
for _ in $(seq 100); do
  python3 -c "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8765/')" \
    2>/dev/null && break || sleep 0.2
done

echo "== each head signs their own documents (PAdES B-T, timestamp from $TSA)"
for p12 in pki/signers/*.p12; do
  code=$(basename "$p12" .p12)
  "$PAKTA" sign out/"$code"-*.pdf --slot kepala_daerah --p12 "$p12" \
    --level B-T --tsa "$TSA" --out signed/ >/dev/null 2>&1
done
echo "   $(ls signed | wc -l) documents signed by their heads"
echo "== the witness co-signs every pact in one batch"
"$PAKTA" sign signed/*-pakta-integritas-signed.pdf --slot saksi --p12 pki/witness.p12 \
  --level B-T --tsa "$TSA" --in-place >/dev/null
echo "== download the CAs' revocation lists into pki/crls/ (verify uses them offline)"
mkdir -p pki/crls
for ca in interm root; do
  python3 -c "import sys, urllib.request; sys.stdout.buffer.write(urllib.request.urlopen(sys.argv[1]).read())" \
    "http://127.0.0.1:8765/pakta/crls/$ca/latest.crl" >"pki/crls/$ca.crl"
done
echo "== collect the returned files (matched by content, not by name)"
"$PAKTA" collect signed/ 2>&1 | tail -n 1
echo "== verify the whole folder against the roster and the ledger"
"$PAKTA" verify collected/*.pdf --format html --output reports/verify.html 2>/dev/null
"$PAKTA" verify collected/*.pdf 2>/dev/null | tail -n 4
echo "== the evidence package for auditors"
"$PAKTA" export --out reports/evidence.zip
"$PAKTA" verify reports/evidence.zip >/dev/null
echo "== status"
"$PAKTA" status | sed -n '1,4p;/^TOTAL/p;/^Waiting/p;/^Last/p' 
echo
echo "outputs:"
echo "  rendered PDFs:   $DEMO/out/"
echo "  signed PDFs:     $DEMO/signed/"
echo "  collected:       $DEMO/collected/"
echo "  verify report:   $DEMO/reports/verify.html"
echo "  evidence:        $DEMO/reports/evidence.zip"
echo "  ledger:          $DEMO/pakta.db"
