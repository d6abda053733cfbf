#!/usr/bin/env bash
# The sample batch end to end: a workspace, a demo PKI with local timestamp and OCSP
# services, every document rendered, signed by its head, co-signed by the witness,
# collected, verified, and the secretariat's status at the end.
set -euo pipefail
cd "$(dirname "$0")/.."
PAKTA="$PWD/.venv/bin/pakta"
DEMO="$PWD/demo"

rm -rf "$DEMO"
"$PAKTA" init "$DEMO" >/dev/null
cd "$DEMO"
echo "== roster"; "$PAKTA" roster check roster.csv
echo "== render"; "$PAKTA" render
echo "== demo PKI (keys generated now, never committed)"; "$PAKTA" pki demo
export PAKTA_PASSPHRASE_FILE="$DEMO/pki/passphrase.txt"

"$PAKTA" pki serve --port 8765 >pki/serve.log 2>&1 &
SERVER=$!
trap 'kill $SERVER 2>/dev/null || true' EXIT
for _ in $(seq 50); do
  curl -s -o /dev/null http://127.0.0.1:8765/ 2>/dev/null && break || sleep 0.2
done
TSA=$(sed -n 's/^tsa: //p' pki/serve.log | head -n 1)

echo "== each head signs their own documents (PAdES B-T, timestamp from $TSA)"
for p12 in pki/signers/*.p12; do
  code=$(basename "$p12" .p12)
  "$PAKTA" sign out/"$code"-*.pdf --slot kepala_daerah --p12 "$p12" \
    --passphrase-file "$PAKTA_PASSPHRASE_FILE" --level B-T --tsa "$TSA" --out signed/ \
    >/dev/null
done
echo "== the witness co-signs every pact in one batch"
"$PAKTA" sign signed/*-pakta-integritas-signed.pdf --slot saksi --p12 pki/witness.p12 \
  --passphrase-file "$PAKTA_PASSPHRASE_FILE" --level B-T --tsa "$TSA" --in-place
echo "== verify the whole folder against the roster and the ledger"
"$PAKTA" verify signed/ --format html --output reports/verify.html || true
"$PAKTA" verify signed/ | tail -n 12
echo "== status"
"$PAKTA" status | head -n 12
echo
echo "outputs:"
echo "  rendered PDFs:   $DEMO/out/"
echo "  signed PDFs:     $DEMO/signed/"
echo "  verify report:   $DEMO/reports/verify.html"
echo "  ledger:          $DEMO/pakta.db"
