"""The async runtime: binds a stage (or a chain of stages) to an input and an output topic."""
