"""Signing and verification: keys, signed PDFs, DSSE attestations and their verification.

Above the report (it signs what the report wrote) and beside it in the layers: nothing below
``govern.signing`` imports it.
"""
