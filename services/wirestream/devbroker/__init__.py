"""Development tooling, not runtime: a real local Kafka broker from Maven jars (no Docker) for
`make run`, `wirestream kafka`, the tests and the benchmark, and the child-process helpers
that stop what they start."""
