"""The async runtime: binds a stage (or a chain of stages) to an input and an output topic.

A record's path, module by module in the order it runs:

- `service.py`: the service loop fetches a batch per owned partition and, once the batch is
  translated, sends it and commits it (one transaction per partition, or send-then-commit);
- `codec.py`: the record's value decoded for the first stage, the `ws-*` tracing headers;
- `translate.py`: the records through the stages into an `Outbox` of messages (pure);
- `ownership.py`: which partitions are active, suspension after a failure, backoff, fencing;
- `changelog.py`: a stateful stage's state restored from its changelog partition.
"""
