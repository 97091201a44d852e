"""Typed rows to formatted workbooks and CSV with manifests (pure: no database, no web framework).

- ``columns.Column``: a column spec as data; ``document.ListDocument``: a list ready to write.
- ``xlsx.write_xlsx`` / ``csv.write_csv``: stream the rows out, return a ``manifest.Manifest``;
  ``csv.manifest_json``: the sidecar.
- ``diff.diff_rows``: what changed since the previous list of the same kind.
- ``capitals.yuan_capitals``, ``sanitize.neutralise``: the cell rules both writers apply.
"""
