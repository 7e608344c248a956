"""The data model: the normalised records every layer shares, below ingest and the store.

Adapters (:mod:`govern.ingest`) produce these records; the store (:mod:`govern.store`) writes
and reads them; checks read what the store returns. Nothing here imports another part of
govern, so any layer may import it.

* :mod:`govern.records.registry`: registered models, versions, runs, artifacts, and the
  :class:`~govern.records.registry.Batch` one input produces;
* :mod:`govern.records.predictions`: planned loads of prediction logs and ground truth;
* :mod:`govern.records.monitoring`: monitoring reports and results, and their vocabulary.
"""
