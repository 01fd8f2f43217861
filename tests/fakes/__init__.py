"""In-memory fakes of the ports, for unit tests and benchmarks (never packaged for Lambda).

They keep the same promises as the DynamoDB repositories and are held to them by the contract
suites in ``tests/contract/``, which run every test on both.
"""

from tests.fakes.queues import InMemoryBlobStore, InMemoryExportJobQueue, InMemoryQueue
from tests.fakes.stores import InMemoryData, in_memory_stores

__all__ = ["InMemoryBlobStore", "InMemoryData", "InMemoryExportJobQueue", "InMemoryQueue", "in_memory_stores"]
